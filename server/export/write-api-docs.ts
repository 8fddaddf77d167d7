import { writeFile } from "node:fs/promises";
import { apiDocsJson, apiDocsMarkdown } from "./api-docs";

await writeFile("docs/openapi.json", apiDocsJson());
await writeFile("docs/api.md", apiDocsMarkdown());
console.log("Wrote docs/api.md and docs/openapi.json");
