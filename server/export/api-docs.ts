// docs/api.md and docs/openapi.json are generated from the OpenAPI document, so they always say
// what the server does: `npm run docs:api` writes them, a unit test fails when they are stale.
import { openApiDocument } from "./openapi";

type ParameterSchema = { type?: string | string[]; format?: string; enum?: unknown[]; items?: ParameterSchema; anyOf?: ParameterSchema[]; description?: string };

type Operation = {
  summary: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: ParameterSchema }[];
  responses: Record<string, { description?: string }>;
  /** A shell example, shown in docs/api.md under the operation. */
  "x-example"?: string;
};

const docsServer = "http://localhost:3000";

export function apiDocsJson(): string {
  return `${JSON.stringify(openApiDocument(docsServer), null, 2)}\n`;
}

function typeOf(schema: ParameterSchema): string {
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(" or ");
  if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "values"} (comma-separated)`;
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  const type = Array.isArray(schema.type) ? schema.type.join(" \\| ") : (schema.type ?? "any");
  return schema.format ? `${type} (${schema.format})` : type;
}

export function apiDocsMarkdown(): string {
  const doc = openApiDocument(docsServer);
  const out: string[] = [
    `# ${doc.info.title}`,
    "",
    "Generated from `server/export/openapi.ts` by `npm run docs:api`; the machine-readable document is",
    "[openapi.json](openapi.json) and is also served at `/api/v1/openapi.json`.",
    "",
    doc.info.description,
    "",
    "```sh",
    `curl -H "Authorization: Bearer $RLHF_API_KEY" "${docsServer}/api/v1/projects/$PROJECT/export?format=pairs&reviewState=accepted,corrected" > pairs.jsonl`,
    "```",
    "",
  ];
  for (const [route, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods as Record<string, Operation>)) {
      out.push(`## ${method.toUpperCase()} ${route}`, "", `${op.summary}.${op.description ? ` ${op.description}` : ""}`, "");
      const query = (op.parameters ?? []).filter((p) => p.in === "query");
      if (query.length) {
        out.push("| parameter | type | |", "|---|---|---|");
        for (const p of query) out.push(`| \`${p.name}\`${p.required ? " (required)" : ""} | ${p.schema ? typeOf(p.schema) : ""} | ${p.schema?.description ?? ""} |`);
        out.push("");
      }
      if (op["x-example"]) out.push("```sh", op["x-example"], "```", "");
      out.push(`Responses: ${Object.entries(op.responses).map(([code, r]) => `${code} ${r.description ?? ""}`.trim()).join("; ")}.`, "");
    }
  }
  out.push("## Record schemas", "", "Each format's line is described by `components.schemas.Record_<format>` in openapi.json.", "");
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const description = (schema as { description?: string }).description;
    if (name.startsWith("Record_") && description) out.push(`### ${name.slice("Record_".length)}`, "", description, "");
  }
  return `${out.join("\n")}`;
}
