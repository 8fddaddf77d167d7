import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAssignmentView, nextAssignment, submitAnnotation } from "../annotation/service";
import { importJsonl } from "../import/service";
import { markGold } from "../projects/gold";
import { correctAnnotation } from "../review/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { ZExportRequest } from "./filter";
import { exportChunks } from "./stream";

async function records(deps: TestDeps, projectId: string, request: Record<string, unknown>) {
  let text = "";
  for await (const chunk of exportChunks(deps.db, { projectId, request: ZExportRequest.parse(request) })) text += chunk;
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("export filters and merges", () => {
  let deps: TestDeps;
  let projectId: string;
  let good: { id: string };
  let bad: { id: string };
  const ids = new Map<string, string>(); // content → response id

  beforeAll(async () => {
    deps = createTestDeps();
    const project = await deps.db.project.create({ data: { name: `filters-${randomUUID()}`, k: 3, overlap: 2, goldRate: 1 } });
    projectId = project.id;
    const rows = [0, 1, 2].map((i) => ({ prompt: `Q${i} ${projectId}`, responses: ["best", "middle", "worst"].map((w) => ({ content: `${w} ${i}`, model: w === "best" ? "v2" : "v1" })), source: i === 2 ? "red_team" : "production" }));
    await importJsonl(deps.db, { projectId, layout: "tasks", chunks: (async function* () { yield rows.map((r) => JSON.stringify(r)).join("\n"); })(), strict: true, filename: null, createdById: null });
    for (const r of await deps.db.response.findMany({ where: { task: { projectId } } })) ids.set(r.content, r.id);
    const [g, b, admin] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "admin")]);
    good = g;
    bad = b;
    const goldTask = await deps.db.task.findFirstOrThrow({ where: { projectId, prompt: { messages: { array_contains: [{ role: "user", content: `Q0 ${projectId}` }] } } } });
    await markGold(deps.db, { taskId: goldTask.id, answer: { ranking: [[ids.get("best 0")!], [ids.get("middle 0")!], [ids.get("worst 0")!]], promptPolicy: null } }, admin.id);
    // The good annotator ranks best > middle > worst everywhere; the bad one reverses it.
    for (const [who, reverse] of [[good, false], [bad, true]] as const) {
      for (;;) {
        const next = await nextAssignment(deps.db, { projectId, annotatorId: who.id });
        if (!next) break;
        const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: who.id });
        const order = ["best", "middle", "worst"].map((w) => view.responses.find((r) => r.content.startsWith(w))!.id);
        const groups = (reverse ? order.reverse() : order).map((id) => [id]);
        await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId: who.id, idempotencyKey: randomUUID(), labels: { ranking: { groups, strengths: ["clear", "clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null }, timeSpentMs: 1000 });
      }
    }
  });
  afterAll(() => deps.db.$disconnect());

  it("raw gives one record per annotation; merges one per task with the agreement", async () => {
    expect(await records(deps, projectId, { format: "rankings" })).toHaveLength(6);
    const merged = await records(deps, projectId, { format: "rankings", aggregate: "majority" });
    expect(merged).toHaveLength(3);
    expect(merged.every((r) => r.meta.export.merge.method === "majority" && r.meta.export.merge.annotations === 2 && r.meta.export.merge.agreement === 0)).toBe(true);
  });

  it("gold-weighted follows the annotator who matches the gold answers", async () => {
    const merged = await records(deps, projectId, { format: "rankings", aggregate: "gold-weighted" });
    for (const r of merged) {
      const best = r.responses.find((x: { content: string }) => x.content.startsWith("best"));
      expect(best.rank).toBe(0);
    }
  });

  it("filters by flagged annotators, agreement, source, model and review state", async () => {
    const unflagged = await records(deps, projectId, { format: "rankings", excludeFlagged: true });
    expect(unflagged.map((r) => r.meta.export.annotatorId)).toEqual([good.id, good.id, good.id]);
    expect(await records(deps, projectId, { format: "pairs", minAgreement: 0.5 })).toHaveLength(0);
    expect(await records(deps, projectId, { format: "rankings", source: "red_team" })).toHaveLength(2);
    expect(await records(deps, projectId, { format: "rankings", model: "v3" })).toHaveLength(0);
    expect(await records(deps, projectId, { format: "rankings", model: "v2,v3" })).toHaveLength(6);

    // A reviewer corrects the bad annotator's work on one task: that task now agrees fully.
    const reviewer = await createUser(deps, "reviewer");
    const target = await deps.db.annotation.findFirstOrThrow({ where: { annotatorId: bad.id, task: { projectId, prompt: { messages: { array_contains: [{ role: "user", content: `Q1 ${projectId}` }] } } } } });
    await correctAnnotation(deps.db, { annotationId: target.id, labels: { ranking: { groups: [["best 1"], ["middle 1"], ["worst 1"]].map((g) => g.map((c) => ids.get(c)!)), strengths: ["clear", "clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null }, note: null }, reviewer.id);
    expect(await records(deps, projectId, { format: "pairs", minAgreement: 1 })).toHaveLength(6);
    expect(await records(deps, projectId, { format: "rankings", reviewState: "corrected" })).toHaveLength(1);
    expect(await records(deps, projectId, { format: "hh", reviewState: "accepted" })).toHaveLength(0);
  });
});
