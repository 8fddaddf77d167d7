import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { apiDocsJson, apiDocsMarkdown } from "./api-docs";

describe("API docs", () => {
  it("docs/api.md and docs/openapi.json match the OpenAPI document (run `npm run docs:api`)", async () => {
    expect(await readFile("docs/api.md", "utf8")).toBe(apiDocsMarkdown());
    expect(await readFile("docs/openapi.json", "utf8")).toBe(apiDocsJson());
  });

  it("describes every route with its errors and every format's record schema", () => {
    const doc = JSON.parse(apiDocsJson()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/projects/{projectId}/export",
      "/projects/{projectId}/feedback",
      "/projects/{projectId}/feedback/{conversationId}",
      "/projects/{projectId}/import",
      "/projects/{projectId}/snapshots",
      "/projects/{projectId}/snapshots/{snapshotId}",
      "/projects/{projectId}/snapshots/{snapshotId}/file",
    ]);
    for (const methods of Object.values(doc.paths)) for (const op of Object.values(methods)) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "429"]));
    for (const f of ["pairs", "rankings", "hh", "openai-dpo", "sft"]) expect(doc.components.schemas).toHaveProperty(`Record_${f}`);
    expect(doc.components.schemas).toHaveProperty("FeedbackConversation.required", ["id", "model", "messages"]);
  });
});
