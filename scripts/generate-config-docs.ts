// Writes docs/configuration.md from the configuration schemas (npm run docs:config).
import { writeFileSync } from "node:fs";
import { renderConfigDocs } from "../src/config-docs.js";

writeFileSync("docs/configuration.md", renderConfigDocs());
console.log("wrote docs/configuration.md");
