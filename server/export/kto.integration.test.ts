// Thumbs labels from a chat log: imported in the kto layout, kept out of the annotators' queue and
// the pair formats, and exported back through the kto format as they came.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAssignmentView, nextAssignment, submitAnnotation } from "../annotation/service";
import { AppError } from "../errors";
import { parseKtoRow } from "../import/parse-kto-row";
import { importJsonl } from "../import/service";
import { markGold } from "../projects/gold";
import { projectDashboard } from "../quality/dashboard";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { ZExportRequest } from "./filter";
import { exportChunks } from "./stream";

async function* once(text: string) {
  yield text;
}
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n");

const ktoRows = [
  { id: "chat-1", prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "Capital of Japan? 🗾" }], completion: [{ role: "assistant", content: "東京 (Tokyo)." }], label: true, source: "production", meta: { conversation: "c1" } },
  { id: "chat-2", prompt: [{ role: "user", content: "Capital of Japan? 🗾" }], completion: [{ role: "assistant", content: "Kyoto." }], label: false, safety: { promptPolicy: "allowed" }, source: "production", meta: {} },
  // The same answer liked by one user and disliked by another: two rows of the log, both kept.
  { id: "chat-3", prompt: [{ role: "user", content: "Tell me a joke" }], completion: [{ role: "assistant", content: "No." }], label: false, source: "production", meta: {} },
  { id: "chat-4", prompt: [{ role: "user", content: "Tell me a joke" }], completion: [{ role: "assistant", content: "No." }], label: true, source: "production", meta: {} },
];

describe("kto: thumbs labels through import, the queue and export", () => {
  let deps: TestDeps;
  let projectId: string;
  let cookie: string;

  const exportRecords = async (query: Record<string, string>) => {
    const request = ZExportRequest.parse(query);
    let text = "";
    for await (const chunk of exportChunks(deps.db, { projectId, request })) text += chunk;
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id));

  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    cookie = await signIn(deps, admin.email, admin.password);
    // K = 3: a thumbs row's one response is never ranked, so the project's K does not refuse it.
    projectId = (await deps.db.project.create({ data: { name: `kto-${randomUUID()}`, k: 3, overlap: 1 } })).id;
    const kto = await importJsonl(deps.db, { projectId, layout: "kto", chunks: once(jsonl(ktoRows)), strict: true, filename: "thumbs.jsonl", createdById: admin.id });
    expect(kto).toMatchObject({ committed: true, imported: 4, duplicates: 0, errors: [] });
    const tasks = await importJsonl(deps.db, {
      projectId,
      layout: "tasks",
      chunks: once(jsonl([{ prompt: "Best pet?", responses: ["A cat.", "A dog.", "A rock."] }])),
      strict: true,
      filename: null,
      createdById: null,
    });
    expect(tasks.imported).toBe(1);
  });
  afterAll(() => deps.db.$disconnect());

  it("stores each row as a task with one response, not rankable, and an imported judgement with its thumbs label and no pairs", async () => {
    const stored = await deps.db.task.findMany({
      where: { projectId, rankable: false },
      select: { annotationCount: true, responses: { select: { content: true } }, annotations: { select: { origin: true, feedback: true, ranking: true, _count: { select: { pairs: true } } } } },
    });
    expect(stored).toHaveLength(4);
    for (const t of stored) {
      expect(t.responses).toHaveLength(1);
      expect(t.annotationCount).toBe(0);
      expect(t.annotations).toHaveLength(1);
      expect(t.annotations[0]).toMatchObject({ origin: "imported", _count: { pairs: 0 } });
    }
    expect(stored.map((t) => t.annotations[0]!.feedback).sort()).toEqual(["down", "down", "up", "up"]);
    expect(await deps.db.task.count({ where: { projectId, rankable: true } })).toBe(1);
  });

  it("re-importing the same file imports nothing; a row with another label is new", async () => {
    const again = await importJsonl(deps.db, { projectId: (await deps.db.project.create({ data: { name: `kto-again-${randomUUID()}` } })).id, layout: "kto", chunks: once(jsonl([ktoRows[0], ktoRows[0], { ...ktoRows[0], label: false }])), strict: false, filename: null, createdById: null });
    expect(again).toMatchObject({ imported: 2, duplicates: 1 });
  });

  it("round trip: the kto export gives back the imported rows", async () => {
    const exported = await exportRecords({ format: "kto" });
    expect(exported.sort(byId)).toEqual([...ktoRows].sort(byId));
    expect(exported.map((r) => parseKtoRow(r)).sort((a, b) => a.contentHash.localeCompare(b.contentHash))).toEqual(ktoRows.map((r) => parseKtoRow(r)).sort((a, b) => a.contentHash.localeCompare(b.contentHash)));
  });

  it("merged exports keep the same prompts, completions and labels, with provenance", async () => {
    for (const aggregate of ["majority", "bradley-terry", "gold-weighted"]) {
      const exported = await exportRecords({ format: "kto", aggregate });
      const essence = (r: Record<string, unknown>) => JSON.stringify([r.prompt, r.completion, r.label]);
      expect(exported.map(essence).sort(), aggregate).toEqual(ktoRows.map(essence).sort());
      expect(exported.every((r) => (r.meta as { export: { reason: string } }).export.reason === "feedback")).toBe(true);
    }
  });

  it("the pair formats and rankings skip thumbs tasks, and the count endpoint counts kto records", async () => {
    for (const format of ["pairs", "rankings", "hh", "openai-dpo"]) expect(await exportRecords({ format }), format).toEqual([]);
    const caller = await callerFor(deps, cookie);
    expect(await caller.exports.count({ projectId, request: { format: "kto" } })).toEqual({ rows: 4 });
    expect(await caller.exports.count({ projectId, request: { format: "pairs" } })).toEqual({ rows: 0 });
  });

  it("a ranked task adds its best and worst answers; the dashboard counts only rankable tasks as work", async () => {
    const annotator = await createUser(deps, "annotator");
    const next = await nextAssignment(deps.db, { projectId, annotatorId: annotator.id });
    const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: annotator.id });
    const id = (content: string) => view.responses.find((r) => r.content === content)!.id;
    await submitAnnotation(deps.db, {
      assignmentId: next!.assignmentId,
      annotatorId: annotator.id,
      idempotencyKey: randomUUID(),
      labels: { ranking: { groups: [[id("A cat.")], [id("A dog.")], [id("A rock.")]], strengths: ["clear", "clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
      timeSpentMs: 10,
    });
    expect(await nextAssignment(deps.db, { projectId, annotatorId: annotator.id })).toBeNull();

    const ranked = (await exportRecords({ format: "kto" })).filter((r) => !String(r.id).startsWith("chat-"));
    expect(ranked.map((r) => [(r.completion as { content: string }[])[0]!.content, r.label, (r.meta as { export: { reason: string } }).export.reason])).toEqual([
      ["A cat.", true, "best"],
      ["A rock.", false, "worst"],
    ]);
    expect(await exportRecords({ format: "pairs" })).toHaveLength(3);
    expect((await projectDashboard(deps.db, { projectId })).tasks).toMatchObject({ total: 1, done: 1, remaining: 0 });
  });

  it("refuses to make a thumbs task a gold item", async () => {
    const admin = await createUser(deps, "admin");
    const thumbs = await deps.db.task.findFirstOrThrow({ where: { projectId, rankable: false }, select: { id: true, responses: { select: { id: true } } } });
    const err = await markGold(deps.db, { taskId: thumbs.id, answer: { ranking: [[thumbs.responses[0]!.id]], promptPolicy: "allowed" } }, admin.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/single response/);
  });
});
