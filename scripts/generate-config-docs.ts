// Writes docs/configuration.md and .env.example from the configuration schemas (npm run docs:config).
import { writeFileSync } from "node:fs";
import { renderConfigDocs, renderEnvExample } from "../src/config-docs.js";

writeFileSync("docs/configuration.md", renderConfigDocs());
writeFileSync(".env.example", renderEnvExample());
console.log("wrote docs/configuration.md and .env.example");
