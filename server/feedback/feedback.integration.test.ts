// POST /api/v1/projects/:id/feedback called as Next.js would call it, against the test database.
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createApiKey } from "../api-keys/service";
import { ZExportRequest } from "../export/filter";
import { createSnapshot } from "../export/snapshots";
import { logger } from "../logger";
import { ZUpdateProjectInput } from "../projects/project.schema";
import { updateProject } from "../projects/settings";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import type { FeedbackSummary } from "./ingest";
import { feedbackLineage } from "./lineage";
import { piiKinds } from "./redact";
import { corpusItems } from "./redact-corpus";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.BETTER_AUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
process.env.API_KEY_REQUESTS_PER_MINUTE = "1000";
process.env.ARTIFACT_DIR = await mkdtemp(path.join(tmpdir(), "rlhf-feedback-"));

const feedbackRoute = await import("../../app/api/v1/projects/[projectId]/feedback/route");
const exportRoute = await import("../../app/api/v1/projects/[projectId]/export/route");
const deleteRoute = await import("../../app/api/v1/projects/[projectId]/feedback/[conversationId]/route");

const base = "http://localhost/api/v1/projects";
const params = (projectId: string) => ({ params: Promise.resolve({ projectId }) });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const exportFormats = ["pairs", "rankings", "hh", "openai-dpo", "kto", "sft"] as const;

// The lines flattened, so tests can read any line's fields.
type Summary = Omit<FeedbackSummary, "lines"> & { lines: { line: number; status: string; id?: string; reason?: string; error?: string; sampled?: boolean }[] };

function post(projectId: string, key: string, body: string, headers: Record<string, string> = {}) {
  return feedbackRoute.POST(new Request(`${base}/${projectId}/feedback`, { method: "POST", body, headers: { authorization: `Bearer ${key}`, ...headers } }), params(projectId));
}

async function exportText(projectId: string, key: string, format: string) {
  const res = await exportRoute.GET(new Request(`${base}/${projectId}/export?format=${format}`, { headers: { authorization: `Bearer ${key}` } }), params(projectId));
  expect(res.status).toBe(200);
  return res.text();
}

/** Everything the logger writes while `fn` runs, at every level. */
async function capturingLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string }> {
  const stream = (logger as unknown as Record<symbol, { write: (s: string) => unknown }>)[pino.symbols.streamSym]!;
  const write = stream.write;
  const level = logger.level;
  const lines: string[] = [];
  stream.write = (s: string) => lines.push(s);
  logger.level = "trace";
  const consoleLines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(" "))));
  try {
    return { result: await fn(), logs: [...lines, ...consoleLines].join("\n") };
  } finally {
    stream.write = write;
    logger.level = level;
    for (const spy of spies) spy.mockRestore();
  }
}

/** Every text, JSON and array column of every table, as text. */
async function wholeDatabaseText(deps: TestDeps): Promise<string> {
  const columns = await deps.db.$queryRaw<{ table_name: string; column_name: string }[]>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`;
  const parts: string[] = [];
  for (const { table_name, column_name } of columns) {
    const [row] = await deps.db.$queryRawUnsafe<{ all: string | null }[]>(`SELECT string_agg("${column_name}"::text, E'\\n') AS "all" FROM "${table_name}"`);
    if (row?.all) parts.push(row.all);
  }
  return parts.join("\n");
}

async function snapshotText(projectId: string): Promise<string> {
  const dir = path.join(process.env.ARTIFACT_DIR!, "snapshots", projectId);
  const texts: string[] = [];
  for (const name of await readdir(dir)) {
    const bytes = await readFile(path.join(dir, name));
    texts.push((bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8"));
  }
  return texts.join("\n");
}

describe("production feedback API", () => {
  let deps: TestDeps;
  let adminId: string;

  beforeAll(async () => {
    deps = createTestDeps();
    adminId = (await createUser(deps, "admin")).id;
  });
  afterAll(() => deps.db.$disconnect());

  async function projectWithKey(scopes: ("read" | "write")[] = ["read", "write"]) {
    const projectId = (await deps.db.project.create({ data: { name: `feedback-${randomUUID()}`, k: 2 } })).id;
    const { key } = await createApiKey(deps.db, { name: "chat-product", projectIds: [projectId], scopes }, adminId);
    return { projectId, key };
  }

  const conversation = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    model: "chat-v1",
    messages: [
      { role: "user", content: `How do I reset my password? (${id})` },
      { role: "assistant", content: "Open settings and choose Reset." },
    ],
    rating: "down",
    consent: true,
    ...over,
  });

  it("lets none of the planted PII reach the database, the logs, the response, an export or a snapshot", async () => {
    const { projectId, key } = await projectWithKey();
    await updateProject(deps.db, { projectId, changes: { feedbackSampling: { downShare: 1, upShare: 1, unratedShare: 1, perModelQuota: null, dedupByPrompt: false } } }, adminId);
    const body = jsonl(corpusItems.map((item) => item.conversation));
    const { result: res, logs } = await capturingLogs(async () => {
      const res = await post(projectId, key, body);
      // An error path too: a bad batch carrying the same PII is refused, and must not echo it.
      const bad = await post(projectId, key, body + "{not json " + corpusItems[0]!.planted[0]!.value + "\n");
      expect(bad.status).toBe(400);
      return { status: res.status, text: await res.text(), badText: await bad.text() };
    });
    expect(res.status).toBe(200);
    const summary = JSON.parse(res.text) as Summary;
    expect(summary).toMatchObject({ stored: corpusItems.length, duplicates: 0, refused: 0, invalid: 0, committed: true });
    for (const kind of piiKinds) expect(summary.redactions[kind]).toBeGreaterThan(0);

    for (const format of exportFormats) await exportText(projectId, key, format);
    const exports = Object.fromEntries(await Promise.all(exportFormats.map(async (f) => [f, await exportText(projectId, key, f)] as const)));
    await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "kto" }), artifactDir: process.env.ARTIFACT_DIR! });
    const places = {
      database: await wholeDatabaseText(deps),
      logs,
      response: res.text + res.badText,
      snapshot: await snapshotText(projectId),
      ...exports,
    };
    // The places hold the conversations (so a miss below is a real miss, not an empty haystack).
    expect(places.database).toContain("What does HTTP status 413 mean?");
    expect(places.database).toContain("[EMAIL]");
    expect(exports.kto).toContain("[CARD]");
    expect(exports.kto).toContain("[NAME]");
    expect(places.snapshot).toContain("[PHONE]");
    expect(logs).toContain("feedback.ingest");

    const leaks: string[] = [];
    for (const item of corpusItems) {
      for (const { kind, value } of item.planted) {
        for (const [where, text] of Object.entries(places)) if (text.includes(value)) leaks.push(`${kind} ${JSON.stringify(value)} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("stores a batch once: the same ids again store nothing new and are reported as duplicates", async () => {
    const { projectId, key } = await projectWithKey();
    const body = jsonl([conversation("c-1"), conversation("c-2", { rating: "up" }), conversation("c-1")]);
    const first = (await (await post(projectId, key, body)).json()) as Summary;
    expect(first).toMatchObject({ stored: 2, duplicates: 1 });
    expect(first.lines.map((l) => [l.line, l.status])).toEqual([[1, "stored"], [2, "stored"], [3, "duplicate"]]);
    const counts = async () => ({
      conversations: await deps.db.feedbackConversation.count({ where: { projectId } }),
      tasks: await deps.db.task.count({ where: { projectId } }),
      annotations: await deps.db.annotation.count({ where: { task: { projectId } } }),
    });
    const before = await counts();
    expect(before).toEqual({ conversations: 2, tasks: 2, annotations: 2 });
    const again = (await (await post(projectId, key, body)).json()) as Summary;
    expect(again).toMatchObject({ stored: 0, duplicates: 3 });
    expect(await counts()).toEqual(before);
  });

  it("refuses conversations without consent, line by line, and stores nothing of them", async () => {
    const { projectId, key } = await projectWithKey();
    const res = await post(projectId, key, jsonl([conversation("no", { consent: false }), conversation("missing", { consent: undefined }), conversation("yes")]));
    expect(res.status).toBe(200);
    const summary = (await res.json()) as Summary;
    expect(summary).toMatchObject({ stored: 1, refused: 2 });
    expect(summary.lines.filter((l) => l.status === "refused").map((l) => [l.id, l.reason])).toEqual([
      ["no", expect.stringMatching(/consent/)],
      ["missing", expect.stringMatching(/consent/)],
    ]);
    expect((await deps.db.feedbackConversation.findMany({ where: { projectId }, select: { externalId: true } })).map((c) => c.externalId)).toEqual(["yes"]);
    expect(await wholeDatabaseText(deps)).not.toContain("(missing)");
  });

  it("answers bad lines with 400 and their messages, and stores nothing of the batch", async () => {
    const { projectId, key } = await projectWithKey();
    const res = await post(
      projectId,
      key,
      [
        JSON.stringify(conversation("good")),
        "{oops",
        JSON.stringify(conversation("no-answer", { messages: [{ role: "user", content: "hi" }] })),
        JSON.stringify(conversation("bad-rating", { rating: "meh" })),
        JSON.stringify({ ...conversation("x"), id: undefined }),
        JSON.stringify(conversation("edit", { event: "edit" })),
      ].join("\n"),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string }; lines: { line: number; error: string }[] };
    expect(body.error).toEqual({ code: "BAD_REQUEST", message: "5 lines are not valid feedback; nothing was stored" });
    expect(body.lines.map((l) => [l.line, l.error])).toEqual([
      [2, "invalid JSON"],
      [3, "messages: the last message must be the assistant's answer the feedback is about"],
      [4, expect.stringMatching(/^rating: expected one of up, down/)],
      [5, expect.stringMatching(/^id: missing/)],
      [6, "editedAnswer: an edit event needs the edited answer"],
    ]);
    expect(await deps.db.feedbackConversation.count({ where: { projectId } })).toBe(0);
    expect(await deps.db.task.count({ where: { projectId } })).toBe(0);
  });

  it("answers a batch past FEEDBACK_MAX_MB with 413, and a read-only key with 403", async () => {
    const { projectId, key } = await projectWithKey();
    vi.stubEnv("FEEDBACK_MAX_MB", "0.001");
    try {
      const big = jsonl(Array.from({ length: 50 }, (_, i) => conversation(`big-${i}`)));
      const res = await post(projectId, key, big);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/FEEDBACK_MAX_MB.*Nothing was stored/) });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(await deps.db.feedbackConversation.count({ where: { projectId } })).toBe(0);

    const reader = await createApiKey(deps.db, { name: "reader", projectIds: [projectId], scopes: ["read"] }, adminId);
    const forbidden = await post(projectId, reader.key, jsonl([conversation("r")]));
    expect(forbidden.status).toBe(403);
    expect(await deps.db.feedbackConversation.count({ where: { projectId } })).toBe(0);
  });

  it("writes a thumbs-down into the kto export with label false, redacted, linked to its conversation", async () => {
    const { projectId, key } = await projectWithKey();
    const res = await post(
      projectId,
      key,
      jsonl([
        conversation("kto-1", {
          messages: [
            { role: "user", content: "I'm Priya Raman, my email is priya.raman@example.com. Why was I charged twice?" },
            { role: "assistant", content: "Sorry Priya, I cannot see your account." },
          ],
        }),
      ]),
    );
    expect(((await res.json()) as Summary).lines[0]).toMatchObject({ status: "stored", id: "kto-1" });
    const rows = (await exportText(projectId, key, "kto")).trim().split("\n").map((l) => JSON.parse(l) as { prompt: { content: string }[]; completion: { content: string }[]; label: boolean; source: string });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      label: false,
      source: "production",
      prompt: [{ role: "user", content: "I'm [NAME], my email is [EMAIL]. Why was I charged twice?" }],
      completion: [{ role: "assistant", content: "Sorry [NAME], I cannot see your account." }],
    });
    const conv = await deps.db.feedbackConversation.findFirstOrThrow({ where: { projectId, externalId: "kto-1" }, select: { redactions: true, tasks: { select: { purpose: true, task: { select: { prompt: { select: { source: true } } } } } } } });
    expect(conv.redactions).toEqual({ email: 1, name: 2 });
    expect(conv.tasks).toEqual([{ purpose: "kto", task: { prompt: { source: "production" } } }]);
  });

  it("deletes a conversation by the deployment's id: its row, its tasks, and marks the snapshot that held it", async () => {
    const { projectId, key } = await projectWithKey();
    const { key: readOnly } = await createApiKey(deps.db, { name: "reader", projectIds: [projectId], scopes: ["read"] }, adminId);
    await post(projectId, key, jsonl([conversation("gone-1"), conversation("kept-1"), conversation("unrated-1", { rating: undefined })]));
    const snapshot = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "kto" }), artifactDir: process.env.ARTIFACT_DIR!, createdById: adminId });
    const remove = (id: string, k = key, query = "") =>
      deleteRoute.DELETE(new Request(`${base}/${projectId}/feedback/${encodeURIComponent(id)}${query}`, { method: "DELETE", headers: { authorization: `Bearer ${k}` } }), {
        params: Promise.resolve({ projectId, conversationId: id }),
      });
    const { promptIds, taskIds } = await feedbackLineage(deps.db, { projectId, externalId: "gone-1" }).then((l) => ({ promptIds: l.promptIds, taskIds: l.tasks.map((t) => t.taskId) }));
    expect(taskIds).toHaveLength(1);

    expect((await remove("gone-1", readOnly)).status).toBe(403);
    const res = await remove("gone-1", key, "?reason=user%20asked");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deleted: boolean; prompts: number; tasks: number; snapshots: { id: string }[] };
    expect(body).toMatchObject({ deleted: true, prompts: 1, tasks: 1, snapshots: [{ id: snapshot.id }] });
    expect(await deps.db.feedbackConversation.count({ where: { projectId, externalId: "gone-1" } })).toBe(0);
    expect(await deps.db.task.count({ where: { id: { in: taskIds } } })).toBe(0);
    expect(await deps.db.prompt.count({ where: { id: { in: promptIds } } })).toBe(0);
    expect(await deps.db.snapshot.findUniqueOrThrow({ where: { id: snapshot.id }, select: { containsDeletedDataAt: true } })).toMatchObject({ containsDeletedDataAt: expect.any(Date) });
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { projectId, action: "data.delete" }, select: { after: true } });
    expect(audit.after).toMatchObject({ reason: "user asked", feedbackConversationIds: [expect.any(String)] });
    // The other conversation is untouched; an unknown id is 404 and changes nothing.
    expect(await deps.db.feedbackConversation.count({ where: { projectId, externalId: "kept-1" } })).toBe(1);
    expect((await remove("gone-1")).status).toBe(404);
    // A conversation that never became a task is just its own row.
    const unrated = await remove("unrated-1");
    expect(unrated.status).toBe(200);
    expect(await unrated.json()).toMatchObject({ deleted: true, prompts: 0, snapshots: [] });
    expect(await deps.db.feedbackConversation.count({ where: { projectId } })).toBe(1);
  });

  it("links a conversation to the model version it names, and keeps other model names as sent", async () => {
    const { projectId, key } = await projectWithKey();
    const version = await deps.db.modelVersion.create({ data: { kind: "policy", name: `policy-${randomUUID()}`, path: "runs/x/policy", projectId } });
    await post(projectId, key, jsonl([conversation("mv-1", { model: version.id }), conversation("mv-2", { model: "gpt-like-2025" })]));
    const rows = await deps.db.feedbackConversation.findMany({ where: { projectId }, orderBy: { externalId: "asc" }, select: { model: true, modelVersionId: true } });
    expect(rows).toEqual([
      { model: version.id, modelVersionId: version.id },
      { model: "gpt-like-2025", modelVersionId: null },
    ]);
  });

  it("samples by the project's rule into production labelling tasks: shares, per-model quota, prompt dedup", async () => {
    const { projectId, key } = await projectWithKey();
    // As the settings form sends it, through the procedure's input schema.
    await updateProject(deps.db, ZUpdateProjectInput.parse({ projectId, changes: { feedbackSampling: { downShare: 1, upShare: 0, perModelQuota: 2, dedupByPrompt: true } } }), adminId);
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { action: "project.update", target: `project:${projectId}` }, orderBy: { at: "desc" } });
    expect(audit.after).toMatchObject({ feedbackSampling: { downShare: 1, upShare: 0, perModelQuota: 2, dedupByPrompt: true, unratedShare: 0 } });

    const edited = (id: string, prompt: string, over: Record<string, unknown> = {}) =>
      conversation(id, { messages: [{ role: "user", content: prompt }, { role: "assistant", content: "A poor answer." }], event: "edit", editedAnswer: `A better answer to ${prompt}`, ...over });
    const res = await post(
      projectId,
      key,
      jsonl([
        edited("s-1", "Explain recursion"),
        edited("s-2", "  explain   RECURSION "), // the same prompt once normalised
        edited("s-3", "Explain closures", { rating: "up" }), // thumbs-up share is 0
        edited("s-4", "Explain monads"),
        edited("s-5", "Explain functors"), // over chat-v1's quota of 2
        edited("s-6", "Explain functors", { model: "chat-v2" }), // another model's quota
      ]),
    );
    const summary = (await res.json()) as Summary;
    expect(Object.fromEntries(summary.lines.map((l) => [l.id, l.sampled]))).toEqual({ "s-1": true, "s-2": false, "s-3": false, "s-4": true, "s-5": false, "s-6": true });
    const labelling = await deps.db.feedbackConversationTask.findMany({
      where: { purpose: "labelling", conversation: { projectId } },
      select: { conversation: { select: { externalId: true } }, task: { select: { rankable: true, prompt: { select: { source: true } }, responses: { select: { content: true }, orderBy: { index: "asc" } } } } },
    });
    expect(labelling.map((l) => l.conversation.externalId).sort()).toEqual(["s-1", "s-4", "s-6"]);
    for (const l of labelling) {
      expect(l.task).toMatchObject({ rankable: true, prompt: { source: "production" } });
      expect(l.task.responses.map((r) => r.content)).toEqual(["A poor answer.", expect.stringMatching(/^A better answer to /)]);
    }
    // A sampled thumbs-down is in two tasks on one prompt: its kto row and its labelling task.
    const lineage = await feedbackLineage(deps.db, { projectId, externalId: "s-1" });
    expect(lineage.tasks.map((t) => t.purpose).sort()).toEqual(["kto", "labelling"]);
    expect(lineage.promptIds).toHaveLength(1);
    await expect(feedbackLineage(deps.db, { projectId, externalId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
