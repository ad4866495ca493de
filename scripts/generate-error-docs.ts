// Writes the table of error codes in docs/api.md from the error catalog (npm run docs:errors).
import { readFileSync, writeFileSync } from "node:fs";
import { withErrorTable } from "../src/chat/error-catalog-docs.js";

const PAGE = "docs/api.md";
writeFileSync(PAGE, withErrorTable(readFileSync(PAGE, "utf8")));
console.log(`wrote the error codes of ${PAGE}`);
