import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { derivePairs, type Ranking } from "../annotation/ranking";
import { getAssignmentView, nextAssignment, submitAnnotation } from "../annotation/service";
import { importJsonl } from "../import/service";
import { markGold } from "../projects/gold";
import { projectDashboard } from "../quality/dashboard";
import { projectQuality } from "../quality/report";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { setUserActive } from "../users/service";
import { acceptAnnotation, correctAnnotation, getAnnotationForReview, listAnnotationsForReview, rejectAnnotation } from "./service";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

async function makeProject(deps: TestDeps, tasks: number, overlap: number) {
  const project = await deps.db.project.create({ data: { name: `review-${randomUUID()}`, k: 3, overlap, tiesAllowed: true } });
  const rows = Array.from({ length: tasks }, (_, i) => ({
    prompt: `Question ${i} ${project.id}`,
    responses: [0, 1, 2].map((j) => ({ content: `Answer ${j} to ${i}`, model: j === 0 ? "policy-v1" : "policy-v2" })),
  }));
  await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines(rows), strict: true, filename: null, createdById: null });
  return project;
}

const labels = (groups: string[][], promptPolicy: "allowed" | "sensitive" = "allowed") => ({
  ranking: { groups, strengths: groups.slice(1).map(() => "clear" as const) } satisfies Ranking,
  promptPolicy,
  harmCategory: promptPolicy === "allowed" ? null : "privacy",
  rubric: promptPolicy === "allowed" ? {} : Object.fromEntries(groups.flat().map((id) => [id, "D" as const])),
  flags: {},
  rationale: null,
});

/** Leases the next task for the annotator and ranks it with `order(ids in import order)`. */
async function label(deps: TestDeps, projectId: string, annotatorId: string, order: (ids: string[]) => string[][], policy: "allowed" | "sensitive" = "allowed") {
  const next = await nextAssignment(deps.db, { projectId, annotatorId });
  if (!next) throw new Error("no task left");
  const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId });
  const byIndex = [...view.responses].sort((a, b) => a.content.localeCompare(b.content)).map((r) => r.id);
  const result = await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId, idempotencyKey: randomUUID(), labels: labels(order(byIndex), policy), timeSpentMs: 2000 });
  return { ...result, ids: byIndex };
}

describe("review, gold and quality", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("a correction re-derives the pairs and writes the audit row in the same transaction", async () => {
    const project = await makeProject(deps, 1, 1);
    const [annotator, reviewer] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "reviewer")]);
    const first = await label(deps, project.id, annotator.id, ([a, b, c]) => [[a!], [b!], [c!]]);
    const [a, b, c] = first.ids as [string, string, string];

    // Invalid corrections change nothing.
    await expect(correctAnnotation(deps.db, { annotationId: first.annotationId, labels: labels([[a], [b]]), note: null }, reviewer.id)).rejects.toThrow(`response ${c} is not ranked`);
    expect(await deps.db.auditLog.count({ where: { target: `annotation:${first.annotationId}` } })).toBe(0);

    const corrected = await correctAnnotation(deps.db, { annotationId: first.annotationId, labels: labels([[c], [a, b]]), note: "C is the only one that answers" }, reviewer.id);
    expect(corrected.reviewState).toBe("corrected");
    const pairs = await deps.db.preferencePair.findMany({ where: { annotationId: first.annotationId }, select: { chosenResponseId: true, rejectedResponseId: true } });
    const want = derivePairs(labels([[c], [a, b]]).ranking).map((p) => ({ chosenResponseId: p.chosenId, rejectedResponseId: p.rejectedId }));
    expect(pairs.sort((x, y) => x.rejectedResponseId.localeCompare(y.rejectedResponseId))).toEqual(want.sort((x, y) => x.rejectedResponseId.localeCompare(y.rejectedResponseId)));
    const log = await deps.db.auditLog.findFirstOrThrow({ where: { target: `annotation:${first.annotationId}`, action: "annotation.correct" } });
    expect(log.actorId).toBe(reviewer.id);
    expect(log.before).toMatchObject({ ranking: [[a], [b], [c]], reviewState: "pending" });
    expect(log.after).toMatchObject({ ranking: [[c], [a, b]], reviewState: "corrected", note: "C is the only one that answers" });
  });

  it("a rejection removes the pairs and offers the slot to someone else", async () => {
    const project = await makeProject(deps, 1, 1);
    const [a1, a2, reviewer] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "reviewer")]);
    const first = await label(deps, project.id, a1.id, ([x, y, z]) => [[x!], [y!], [z!]]);
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id })).toBeNull();

    await rejectAnnotation(deps.db, { annotationId: first.annotationId, reason: "ranked at random" }, reviewer.id);
    expect(await deps.db.preferencePair.count({ where: { annotationId: first.annotationId } })).toBe(0);
    const offered = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id });
    expect(offered).not.toBeNull();
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: a1.id })).toBeNull();
    await expect(rejectAnnotation(deps.db, { annotationId: first.annotationId, reason: "again" }, reviewer.id)).rejects.toThrow(/already rejected/);
    await expect(acceptAnnotation(deps.db, { annotationId: first.annotationId }, reviewer.id)).rejects.toThrow(/rejected/);
    expect(await deps.db.auditLog.count({ where: { target: `annotation:${first.annotationId}`, action: "annotation.reject" } })).toBe(1);
  });

  it("a reviewer cannot review their own work (FORBIDDEN through the API)", async () => {
    const project = await makeProject(deps, 1, 1);
    const reviewer = await createUser(deps, "reviewer");
    await deps.db.projectMember.create({ data: { projectId: project.id, userId: reviewer.id } });
    const own = await label(deps, project.id, reviewer.id, ([x, y, z]) => [[x!], [y!], [z!]]);
    const caller = await callerFor(deps, await signIn(deps, reviewer.email, reviewer.password));
    for (const attempt of [
      () => caller.review.accept({ annotationId: own.annotationId }),
      () => caller.review.reject({ annotationId: own.annotationId, reason: "mine" }),
      () => caller.review.correct({ annotationId: own.annotationId, labels: labels([[own.ids[0]!], [own.ids[1]!, own.ids[2]!]]) }),
    ]) {
      const err = await attempt().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe("FORBIDDEN");
      expect((err as TRPCError).message).toBe("You cannot review your own work");
    }
    expect((await deps.db.annotation.findUniqueOrThrow({ where: { id: own.annotationId } })).reviewState).toBe("pending");
    expect(await deps.db.auditLog.count({ where: { target: `annotation:${own.annotationId}` } })).toBe(0);
  });

  it("the review list filters, sorts and pages in the database", async () => {
    const project = await makeProject(deps, 5, 1);
    const [annotator, reviewer] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "reviewer")]);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await label(deps, project.id, annotator.id, ([x, y, z]) => [[x!], [y!], [z!]])).annotationId);
    await acceptAnnotation(deps.db, { annotationId: ids[0]! }, reviewer.id);
    const base = { projectId: project.id, sort: "createdAt" as const, direction: "asc" as const, page: 0, pageSize: 2 };
    const page0 = await listAnnotationsForReview(deps.db, base);
    expect(page0.total).toBe(5);
    expect(page0.rows.map((r) => r.id)).toEqual(ids.slice(0, 2));
    const page2 = await listAnnotationsForReview(deps.db, { ...base, page: 2 });
    expect(page2.rows.map((r) => r.id)).toEqual(ids.slice(4));
    const pending = await listAnnotationsForReview(deps.db, { ...base, pageSize: 50, reviewState: "pending" });
    expect(pending.total).toBe(4);
    const accepted = await listAnnotationsForReview(deps.db, { ...base, reviewState: "accepted" });
    expect(accepted.rows).toMatchObject([{ id: ids[0], reviewState: "accepted", annotatorName: "Test annotator" }]);
  });

  it("gold answers score annotators, flag the ones below the threshold, and agreement reflects corrections", async () => {
    const project = await makeProject(deps, 3, 2);
    const [good, bad, reviewer, admin] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "reviewer"), createUser(deps, "admin")]);
    const goldTask = await deps.db.task.findFirstOrThrow({ where: { projectId: project.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], include: { responses: { orderBy: { index: "asc" } } } });
    const [r0, r1, r2] = goldTask.responses.map((r) => r.id) as [string, string, string];
    await expect(markGold(deps.db, { taskId: goldTask.id, answer: { ranking: [[r0], [r1]], promptPolicy: null } }, admin.id)).rejects.toThrow(`response ${r2} is not ranked`);
    await markGold(deps.db, { taskId: goldTask.id, answer: { ranking: [[r0], [r1], [r2]], promptPolicy: "allowed" } }, admin.id);
    await deps.db.project.update({ where: { id: project.id }, data: { goldRate: 1 } });

    // Each labels every task: the good annotator agrees with the gold order, the bad one reverses it.
    const goodRuns = [];
    const badRuns = [];
    for (let i = 0; i < 3; i++) {
      goodRuns.push(await label(deps, project.id, good.id, ([x, y, z]) => [[x!], [y!], [z!]]));
      badRuns.push(await label(deps, project.id, bad.id, ([x, y, z]) => [[z!], [y!], [x!]]));
    }
    const quality = await projectQuality(deps.db, project.id);
    const row = (id: string) => quality.annotators.find((a) => a.annotatorId === id)!;
    expect(row(good.id)).toMatchObject({ volume: 3, goldAccuracy: 1, goldItems: 1, flagged: false, peerAgreement: 0 });
    expect(row(bad.id)).toMatchObject({ volume: 3, goldAccuracy: 0.5, flagged: true });
    expect(row(good.id).trust).toBeGreaterThan(row(bad.id).trust);
    expect(quality.agreement.multiplyLabelledTasks).toBe(3);
    expect(quality.agreement.pairwise.agreement).toBe(0);
    expect(quality.agreement.meanKendallTau).toBeCloseTo(-1);
    expect(quality.disagreements).toHaveLength(3);

    // A reviewer corrects the bad annotator's three rankings: every task now agrees.
    for (const run of badRuns) {
      await correctAnnotation(deps.db, { annotationId: run.annotationId, labels: labels(run.ids.map((id) => [id])), note: "reversed" }, reviewer.id);
    }
    const after = await projectQuality(deps.db, project.id);
    expect(after.agreement.pairwise.agreement).toBe(1);
    expect(after.agreement.meanKendallTau).toBeCloseTo(1);
    expect(after.disagreements).toHaveLength(0);
    expect(after.annotators.find((a) => a.annotatorId === bad.id)!.goldAccuracy).toBe(1);

    const dashboard = await projectDashboard(deps.db, { projectId: project.id });
    expect(dashboard.tasks).toMatchObject({ total: 2, done: 2, inProgress: 0, remaining: 0, gold: 1 });
    expect(dashboard.reviewStates).toMatchObject({ pending: 3, corrected: 3 });
    expect(dashboard.policyMix).toEqual([{ policy: "allowed", annotations: 6 }]);
    expect(dashboard.labelsPerHour.reduce((n, h) => n + h.labels, 0)).toBe(6);
    expect(dashboard.medianTimeMs).toBe(2000);
    expect(dashboard.skipRate).toBe(0);
    expect(goodRuns).toHaveLength(3);

    // The reviewer labels too, and gold items go to everyone: the gold answer stays hidden from them
    // until they have labelled the item, so they cannot learn it and score 100 % on it.
    const goldAnnotation = (await deps.db.annotation.findFirstOrThrow({ where: { taskId: goldTask.id, annotatorId: good.id }, select: { id: true } })).id;
    const before = await getAnnotationForReview(deps.db, goldAnnotation, reviewer.id);
    expect(before).toMatchObject({ isGold: true, goldAnswer: null, goldAnswerHidden: true });
    for (;;) {
      const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: reviewer.id });
      if (!next) break;
      const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: reviewer.id });
      await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId: reviewer.id, idempotencyKey: randomUUID(), labels: labels(view.responses.map((r) => [r.id])), timeSpentMs: 1 });
    }
    const after2 = await getAnnotationForReview(deps.db, goldAnnotation, reviewer.id);
    expect(after2).toMatchObject({ goldAnswerHidden: false, goldAnswer: { ranking: [[r0], [r1], [r2]] } });
  });

  it("the dashboard counts rubric grades per model version and live work in progress", async () => {
    const project = await makeProject(deps, 2, 2);
    const [a1, a2] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    await label(deps, project.id, a1.id, ([x, y, z]) => [[x!], [y!], [z!]], "sensitive");
    await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id });
    const d = await projectDashboard(deps.db, { projectId: project.id });
    expect(d.tasks).toMatchObject({ total: 2, done: 0, inProgress: 1, remaining: 1 });
    expect(d.rubricByModel).toEqual([
      { model: "policy-v1", A: 0, B: 0, C: 0, D: 1 },
      { model: "policy-v2", A: 0, B: 0, C: 0, D: 2 },
    ]);
    expect(d.activeAnnotatorsLastHour).toBe(2);
  });

  it("the dashboard's tallied counts match a count over the annotations, and follow a review", async () => {
    const project = await makeProject(deps, 3, 2);
    const [a1, a2, a3, reviewer] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "reviewer")]);
    const first = await label(deps, project.id, a1.id, ([x, y, z]) => [[x!], [y!], [z!]], "sensitive");
    await label(deps, project.id, a2.id, ([x, y, z]) => [[z!], [y!], [x!]]);
    await label(deps, project.id, a3.id, ([x, y, z]) => [[y!], [x!], [z!]], "sensitive");
    const skipped = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id });
    await deps.db.assignment.update({ where: { id: skipped!.assignmentId }, data: { state: "skipped", finishedAt: new Date() } });
    // What the dashboard showed when it read every annotation.
    const direct = async () => {
      const rows = await deps.db.$queryRaw<{ reviewState: string; promptPolicy: string | null; annotatorId: string | null; model: string | null; grade: string | null }[]>`
        SELECT n."reviewState"::text AS "reviewState", n."promptPolicy"::text AS "promptPolicy", n."annotatorId", r.model, g.value AS grade
        FROM annotation n JOIN task t ON t.id = n."taskId"
          LEFT JOIN LATERAL jsonb_each_text(n.rubric) AS g ON true LEFT JOIN response r ON r.id = g.key
        WHERE t."projectId" = ${project.id}`;
      const byAnnotation = new Map<string, number>();
      const perAnnotation = await deps.db.annotation.findMany({ where: { task: { projectId: project.id } }, select: { reviewState: true, promptPolicy: true } });
      for (const n of perAnnotation) if (n.reviewState !== "rejected") byAnnotation.set(n.promptPolicy ?? "(none)", (byAnnotation.get(n.promptPolicy ?? "(none)") ?? 0) + 1);
      const grades = new Map<string, Record<string, number>>();
      for (const r of rows.filter((r) => r.grade && r.reviewState !== "rejected")) {
        const g = grades.get(r.model ?? "(unknown)") ?? { A: 0, B: 0, C: 0, D: 0 };
        g[r.grade!]! += 1;
        grades.set(r.model ?? "(unknown)", g);
      }
      const states: Record<string, number> = {};
      for (const n of perAnnotation) states[n.reviewState] = (states[n.reviewState] ?? 0) + 1;
      const finished = await deps.db.assignment.groupBy({ by: ["state"], where: { task: { projectId: project.id } }, _count: true });
      const count = (state: string) => finished.find((f) => f.state === state)?._count ?? 0;
      return {
        reviewStates: states,
        policyMix: [...byAnnotation].map(([policy, annotations]) => ({ policy, annotations })).sort((x, y) => x.policy.localeCompare(y.policy)),
        rubricByModel: [...grades].map(([model, g]) => ({ model, ...g })).sort((x, y) => x.model.localeCompare(y.model)),
        annotators: new Set(rows.map((r) => r.annotatorId)).size,
        skipRate: count("skipped") / (count("submitted") + count("skipped")),
      };
    };
    const shown = (d: Awaited<ReturnType<typeof projectDashboard>>) => ({ reviewStates: d.reviewStates, policyMix: d.policyMix, rubricByModel: d.rubricByModel, annotators: d.annotators, skipRate: d.skipRate });

    const before = await projectDashboard(deps.db, { projectId: project.id });
    expect(before.counting).toBeNull();
    expect(shown(before)).toEqual(await direct());
    expect(before).toMatchObject({ annotators: 3, skipRate: 0.25, medianTimeMs: 2000, policyMix: [{ policy: "allowed", annotations: 1 }, { policy: "sensitive", annotations: 2 }] });

    await rejectAnnotation(deps.db, { annotationId: first.annotationId, reason: "wrong policy" }, reviewer.id);
    // With no time to count, the figures are the old ones and say so.
    const stale = await projectDashboard(deps.db, { projectId: project.id, refreshBudgetMs: -1 });
    expect(stale.counting).toEqual({ tasksLeft: 1 });
    expect(shown(stale)).toEqual(shown(before));
    const after = await projectDashboard(deps.db, { projectId: project.id });
    expect(after.counting).toBeNull();
    expect(shown(after)).toEqual(await direct());
    expect(after.reviewStates).toMatchObject({ rejected: 1, pending: 2 });
    expect(after.policyMix).toEqual([{ policy: "allowed", annotations: 1 }, { policy: "sensitive", annotations: 1 }]);
    expect(after.rubricByModel).toEqual([{ model: "policy-v1", A: 0, B: 0, C: 0, D: 1 }, { model: "policy-v2", A: 0, B: 0, C: 0, D: 2 }]);
  });

  it("deactivating an annotator gives their leased tasks back to the pool", async () => {
    const project = await makeProject(deps, 1, 1);
    const [a1, a2, admin] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator"), createUser(deps, "admin")]);
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: a1.id })).not.toBeNull();
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id })).toBeNull();
    await setUserActive(deps.db, { userId: a1.id, active: false }, admin.id);
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: a2.id })).not.toBeNull();
  });
});
