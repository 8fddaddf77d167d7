// The OpenAPI 3.1 document of /api/v1, built from the same zod schemas the routes validate with,
// so the description cannot drift from the behaviour.
import { z } from "zod";
import { ZFeedbackLine } from "../feedback/feedback-line.schema";
import { piiKinds, placeholders } from "../feedback/redact-kinds";
import { jsonlLayouts } from "../import/read-jsonl";
import { ZExportFilter, ZExportRequest } from "./filter";
import { formatSchemas } from "./formats";
import { aggregates, exportFormats, exportSchemaVersion } from "./types";

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

const errorBody = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: { 400: "Bad input; the message says what is wrong", 401: "No, unknown, revoked or expired API key, or its owner is deactivated", 403: "The key is not allowed this project, or this action (read or write scope)", 404: "No such project or snapshot", 413: "The upload is larger than IMPORT_MAX_MB (imports) or FEEDBACK_MAX_MB (feedback)", 429: "The key's rate limit is reached, or it already runs IMPORT_MAX_CONCURRENT imports", 507: "The project's snapshot quota is used up" }[c],
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    ]),
  );

const projectId = { name: "projectId", in: "path", required: true, schema: { type: "string", format: "uuid" } };

const gzipParameter = { name: "gzip", in: "query", required: false, schema: { type: "string", enum: ["0", "1"], description: "1: send the records as a gzipped .jsonl.gz file" } };

function filterParameters() {
  const schema = jsonSchema(ZExportRequest) as { properties: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: "query",
    required: name === "format",
    // Lists are comma-separated (or the parameter repeated).
    ...(s.type === "array" ? { style: "form", explode: false } : {}),
    schema: s,
  }));
}

export function openApiDocument(serverUrl: string) {
  const lineSchemas = Object.fromEntries(exportFormats.map((f) => [`Record_${f}`, jsonSchema(formatSchemas[f])]));
  return {
    openapi: "3.1.0",
    info: {
      title: "RLHF Studio export API",
      version: `1.${exportSchemaVersion}`,
      description:
        "Preference data as JSON Lines, immutable snapshots, and imports. Authenticate with `Authorization: Bearer <key>`; admins create keys in the console, scoped to projects and to `read` (export, snapshots' manifests and files) and/or `write` (import, send production feedback, create snapshots), optionally expiring. A key stops working when its owner is deactivated. Each key has a per-minute rate limit.",
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ bearer: [] }],
    paths: {
      "/projects/{projectId}/export": {
        get: {
          summary: "Stream the project's data as JSON Lines",
          description: `One record per line in the chosen format (${exportFormats.join(", ")}), merged across annotators per \`aggregate\` (${aggregates.join(", ")}). Streams with constant memory; add \`gzip=1\` for a gzipped .jsonl.gz file. Rejected annotations are never exported.`,
          parameters: [projectId, ...filterParameters(), gzipParameter],
          responses: {
            200: {
              description: "JSON Lines; each line is one record of the format's schema (components.schemas.Record_<format>)",
              content: {
                "application/jsonl": { schema: { oneOf: exportFormats.map((f) => ({ $ref: `#/components/schemas/Record_${f}` })) } },
                "application/gzip": { schema: { type: "string", contentEncoding: "binary" } },
              },
            },
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      "/projects/{projectId}/snapshots": {
        get: {
          summary: "List the project's snapshots",
          parameters: [projectId],
          responses: { 200: { description: "Manifests, newest first", content: { "application/json": { schema: { type: "object", properties: { snapshots: { type: "array", items: { $ref: "#/components/schemas/Snapshot" } } } } } } }, ...errors(401, 403, 429) },
        },
        post: {
          summary: "Freeze a format and filter into an immutable snapshot",
          parameters: [projectId],
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(ZExportRequest) } } },
          responses: { 201: { description: "The snapshot's manifest", content: { "application/json": { schema: { $ref: "#/components/schemas/Snapshot" } } } }, ...errors(400, 401, 403, 404, 429, 507) },
        },
      },
      "/projects/{projectId}/snapshots/{snapshotId}": {
        get: {
          summary: "A snapshot's manifest",
          parameters: [projectId, { name: "snapshotId", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: { 200: { description: "The manifest", content: { "application/json": { schema: { $ref: "#/components/schemas/Snapshot" } } } }, ...errors(401, 403, 404, 429) },
        },
      },
      "/projects/{projectId}/snapshots/{snapshotId}/file": {
        get: {
          summary: "Download a snapshot",
          description: "Byte-identical on every download; the ETag is the manifest's sha256.",
          parameters: [projectId, { name: "snapshotId", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: { 200: { description: "JSON Lines as frozen", content: { "application/jsonl": { schema: { type: "string" } } } }, ...errors(401, 403, 404, 429) },
        },
      },
      "/projects/{projectId}/import": {
        post: {
          summary: `Import a JSONL file in the ${jsonlLayouts.slice(0, -1).join(", ")} or ${jsonlLayouts.at(-1)} layout`,
          description:
            "The body is the file. Bad rows are reported with their line number while the good rows are imported; with strict=1 one bad row imports nothing (400). Content already in the project is not imported twice. A row holding text the database cannot store (U+0000, a lone UTF-16 surrogate) or bytes that are not UTF-8 is a bad row. In the hh layout the prompt is the turns both sides share up to the last Human turn among them, and each side's turns after it are its response: where the two conversations diverge before their last turn, a response holds several turns in HH text (after its first Assistant turn) and the record's meta.hh.responseTurns says how many, so the hh export writes each row back byte for byte. The kto layout takes TRL's unpaired rows, `{\"prompt\": string or [messages], \"completion\": string or [one assistant message], \"label\": true | false, \"id\"?, \"safety\"?, \"source\"?, \"meta\"?}` (thumbs up or down, e.g. from a production chat log): each row becomes a task with that one response, which is never offered to annotators for ranking, and an imported judgement carrying the label; the kto export writes it back as it came, and the pair formats and rankings skip it. The label is part of a row's identity, so the same answer liked once and disliked once is two rows.",
          parameters: [
            projectId,
            { name: "layout", in: "query", schema: { type: "string", enum: [...jsonlLayouts], default: "tasks" } },
            { name: "strict", in: "query", schema: { type: "string", enum: ["0", "1"] } },
            { name: "filename", in: "query", schema: { type: "string" } },
          ],
          requestBody: { required: true, content: { "application/jsonl": { schema: { type: "string" } } } },
          responses: {
            200: { description: "Import summary: rows read, imported, duplicates, errors by line", content: { "application/json": { schema: { type: "object" } } } },
            ...errors(400, 401, 403, 404, 413, 429),
          },
        },
      },
      "/projects/{projectId}/feedback": {
        post: {
          summary: "Send production feedback: conversations from a deployed chat product, one a line",
          description:
            "The body is JSON Lines, each line one conversation (components.schemas.FeedbackConversation) ending with the assistant answer the feedback is about. " +
            `Before anything is stored, every text is redacted: ${piiKinds.map((k) => `${k} → \`${placeholders[k]}\``).join(", ")}; the response and the stored row count what was replaced, by type, and never hold the original. ` +
            "A line without `\"consent\": true` is refused and nothing of it is stored. The deployment's `id` makes a line idempotent: sent again, it is reported as a duplicate and stores nothing. " +
            "A batch with a bad line stores nothing (400, with each bad line's number and message). A thumbs label becomes a kto row (the kto export writes it, redacted); the project's sampling rule (shares of thumbs-down, thumbs-up and unrated conversations, a per-model quota, dedup by normalised prompt; set on the project's page) picks conversations to become labelling tasks with source `production`, decided as each arrives: the task's candidates are the answer given and the user's edit of it, so a sampled conversation becomes a task where those make the project's K; otherwise it waits until an admin presses *Generate candidates* on the project's page, which queues a `generate` job that ranks the answer given beside K − 1 fresh samples from the current policy. " +
            "The redactor uses libphonenumber-js for phone numbers (Google's numbering-plan metadata, kept current, finds and validates numbers in free text), ibantools for IBANs (country lengths and the mod-97 check) and compromise for person names (a small English tagger with a name lexicon, no model download), with a name introduced in one message (\"I'm Priya\") taken out of the whole conversation. " +
            "Emails, Luhn-checked payment cards, account numbers named as such and street addresses are patterns of the platform's own: no maintained Node library scans free text for them. On the platform's planted-PII test corpus every planted email, card, account number, phone number, address and name is removed and 97% of clean sentences come through unchanged; names outside the lexicon without an introduction can be missed, so the redaction lowers the risk rather than removing it.",
          "x-example": [
            `curl -X POST -H "Authorization: Bearer $RLHF_API_KEY" -H "Content-Type: application/jsonl" --data-binary @- "http://localhost:3000/api/v1/projects/$PROJECT/feedback" <<'EOF'`,
            JSON.stringify({ id: "conv-8812", model: "chat-v3", messages: [{ role: "user", content: "I'm Sam Reed, why was my card 4111 1111 1111 1111 charged twice?" }, { role: "assistant", content: "Sorry Sam, I cannot see payments." }], rating: "down", comment: "Useless", consent: true }),
            JSON.stringify({ id: "conv-8813", model: "chat-v3", messages: [{ role: "user", content: "Summarise this memo" }, { role: "assistant", content: "The memo says…" }], event: "edit", editedAnswer: "The memo asks for budgets by Friday.", consent: true }),
            "EOF",
            "# {\"received\":2,\"stored\":2,...,\"redactions\":{\"card\":1,\"name\":2},\"lines\":[{\"line\":1,\"status\":\"stored\",\"id\":\"conv-8812\",\"redactions\":{\"card\":1,\"name\":2},\"sampled\":false},...]}",
          ].join("\n"),
          parameters: [projectId],
          requestBody: { required: true, content: { "application/jsonl": { schema: { type: "string" } } } },
          responses: {
            200: {
              description: "Counts (received, stored, duplicates, refused, sampled, redactions by type) and, per line, stored / duplicate / refused with its reason",
              content: { "application/json": { schema: { type: "object" } } },
            },
            ...errors(400, 401, 403, 404, 413, 429),
          },
        },
      },
      "/projects/{projectId}/feedback/{conversationId}": {
        delete: {
          summary: "Delete a production conversation by the deployment's id, with everything made from it",
          description:
            "Removes the stored (redacted) conversation and every prompt and task made from it (its kto row, a labelling task, their annotations and pairs). Snapshots are immutable: each snapshot whose file held it is marked as holding deleted data (its manifest says so) and can be rebuilt without it in the console; every model version trained on such a snapshot, and every policy optimised against one of those, is flagged for retraining. Audit-logged with the reason. Answers which snapshots and models were affected.",
          "x-example": [`curl -X DELETE -H "Authorization: Bearer $RLHF_API_KEY" "http://localhost:3000/api/v1/projects/$PROJECT/feedback/conv-8812?reason=user%20request"`, '# {"deleted":true,"prompts":1,"tasks":1,"annotations":0,"snapshots":[{"id":"…","format":"kto"}],"models":[]}'].join("\n"),
          parameters: [
            projectId,
            { name: "conversationId", in: "path", required: true, description: "The deployment's own id of the conversation, as sent in the feedback line's `id`", schema: { type: "string" } },
            { name: "reason", in: "query", required: false, description: "Kept in the deletion record and the audit log (default: deletion requested through the feedback API)", schema: { type: "string", maxLength: 2000 } },
          ],
          responses: {
            200: { description: "Deleted: counts of what went, and the snapshots marked and models flagged", content: { "application/json": { schema: { type: "object" } } } },
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from the console (shown once at creation)" } },
      schemas: {
        Error: errorBody,
        ExportFilter: jsonSchema(ZExportFilter),
        Snapshot: {
          type: "object",
          required: ["id", "projectId", "format", "aggregate", "filter", "rowCount", "bytes", "sha256", "schemaVersion", "createdAt"],
          properties: {
            id: { type: "string", format: "uuid" },
            projectId: { type: "string", format: "uuid" },
            format: { type: "string", enum: [...exportFormats] },
            aggregate: { type: "string", enum: [...aggregates] },
            filter: { $ref: "#/components/schemas/ExportFilter" },
            rowCount: { type: "integer" },
            bytes: { type: "integer" },
            sha256: { type: "string" },
            schemaVersion: { type: "integer" },
            createdAt: { type: "string", format: "date-time" },
            createdBy: { type: ["string", "null"], description: "The user or API key that made it" },
            containsDeletedData: {
              type: ["object", "null"],
              description: "Set when conversations in this file were deleted since it was made. The file stays as it was (snapshots are immutable); rebuild it without them in the console",
              properties: { since: { type: "string", format: "date-time" }, deletionIds: { type: "array", items: { type: "string", format: "uuid" } } },
            },
            replaces: {
              type: ["object", "null"],
              description: "For a rebuild without deleted data: the snapshot it replaces and the deletions that made the rebuild necessary",
              properties: { snapshotId: { type: "string", format: "uuid" }, deletionIds: { type: "array", items: { type: "string", format: "uuid" } } },
            },
            replacedBy: { type: "array", items: { type: "string", format: "uuid" }, description: "Rebuilds of this snapshot without deleted data" },
          },
        },
        FeedbackConversation: jsonSchema(ZFeedbackLine),
        ...lineSchemas,
      },
    },
  };
}
