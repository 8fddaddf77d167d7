import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ranking } from "../annotation/ranking";
import type { Db } from "../db";
import { importJsonl } from "../import/service";
import { markGold } from "../projects/gold";
import { correctAnnotation, rejectAnnotation } from "../review/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { peerAgreementByAnnotator, projectPreferenceAgreement, pairwisePreferenceAgreement, type AnnotatorRanks } from "./agreement";
import { promptPolicyUnits, rankingUnits, rubricGradeUnits, type SafetyLabels } from "./alpha-units";
import { goldScore, ranksOf, type GoldAnswer } from "./gold-score";
import { krippendorffAlpha } from "./krippendorff";
import { firstPlaceChance, positionBias } from "./position-bias";
import { refreshQualityTallies } from "./refresh-tallies";
import { groupBy, projectQuality } from "./report";
import { harmCategoryUnit, kendallTaus, type TaskAnnotation } from "./task-tally";
import { trustScore } from "./trust-score";

type Row = Omit<TaskAnnotation, "reviewState"> & { taskId: string; isGold: boolean; goldAnswer: GoldAnswer | null };

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The report as it was computed before the tallies: every annotation loaded, everything in
 *  memory with the pure functions. The oracle the tallied report must match. */
async function inMemoryQuality(db: Db, projectId: string) {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { k: true, goldThreshold: true } });
  const rows = await db.$queryRaw<Row[]>`
    SELECT n."taskId", n."annotatorId", n.ranking, n."promptPolicy"::text AS "promptPolicy", n."harmCategory",
           n.rubric, n."shownOrder", n."timeSpentMs", t."isGold", t."goldAnswer"
    FROM annotation n JOIN task t ON t.id = n."taskId"
    WHERE t."projectId" = ${projectId} AND n."reviewState" <> 'rejected'
    ORDER BY n."taskId", n."createdAt"`;
  const assignmentStats = await db.$queryRaw<{ annotatorId: string; name: string; submitted: bigint; skipped: bigint }[]>`
    SELECT a."annotatorId", u.name, count(*) FILTER (WHERE a.state = 'submitted') AS submitted, count(*) FILTER (WHERE a.state = 'skipped') AS skipped
    FROM assignment a JOIN task t ON t.id = a."taskId" JOIN "user" u ON u.id = a."annotatorId"
    WHERE t."projectId" = ${projectId} GROUP BY a."annotatorId", u.name`;
  const rejected = await db.$queryRaw<{ annotatorId: string; rejected: number }[]>`
    SELECT n."annotatorId", count(*)::int AS rejected FROM annotation n JOIN task t ON t.id = n."taskId"
    WHERE t."projectId" = ${projectId} AND n."reviewState" = 'rejected' GROUP BY 1`;

  const multi = [...groupBy(rows, (r) => r.taskId).values()].filter((rs) => rs.length >= 2);
  const rankings = multi.map((rs) => rs.map((r) => ranksOf(r.ranking)));
  const safety: SafetyLabels[][] = multi.map((rs) => rs.map((r) => ({ promptPolicy: r.promptPolicy, rubric: r.rubric })));
  const agreement = {
    multiplyLabelledTasks: multi.length,
    pairwise: projectPreferenceAgreement(rankings),
    meanKendallTau: mean(rankings.flatMap(kendallTaus)),
    rankingAlpha: krippendorffAlpha(rankingUnits(rankings), "ordinal"),
    promptPolicyAlpha: krippendorffAlpha(promptPolicyUnits(safety), "nominal"),
    harmCategoryAlpha: krippendorffAlpha(multi.map(harmCategoryUnit), "nominal"),
    rubricAlpha: krippendorffAlpha(rubricGradeUnits(safety), "nominal"),
  };
  const peer = peerAgreementByAnnotator(
    multi.map((rs) => rs.filter((r) => r.annotatorId).map((r): AnnotatorRanks => ({ annotatorId: r.annotatorId!, ranks: ranksOf(r.ranking) }))),
  );
  const perAnnotator = groupBy(rows, (r) => r.annotatorId);
  const chance = firstPlaceChance(project.k);
  const bias = (rs: Row[]) => {
    const trials = rs.flatMap((r) => (r.ranking[0]?.length === 1 && r.shownOrder.length ? [r.ranking[0][0] === r.shownOrder[0]] : []));
    return positionBias({ firstWins: trials.filter(Boolean).length, decisive: trials.length, chance });
  };
  const annotators = assignmentStats.map((s) => {
    const own = perAnnotator.get(s.annotatorId) ?? [];
    const gold = own.filter((r) => r.isGold && r.goldAnswer).map((r) => goldScore(r, r.goldAnswer!));
    const finished = Number(s.submitted) + Number(s.skipped);
    const skipRate = finished ? Number(s.skipped) / finished : null;
    const goldAccuracy = mean(gold);
    const peerAgreement = peer.get(s.annotatorId)?.agreement ?? null;
    return {
      annotatorId: s.annotatorId,
      name: s.name,
      volume: own.length,
      rejected: rejected.find((r) => r.annotatorId === s.annotatorId)?.rejected ?? 0,
      medianTimeMs: median(own.map((r) => r.timeSpentMs).filter((t): t is number => t !== null)),
      peerAgreement,
      peerComparisons: peer.get(s.annotatorId)?.comparisons ?? 0,
      goldAccuracy,
      goldItems: gold.length,
      skipRate,
      trust: trustScore({ goldAccuracy, peerAgreement, skipRate, volume: own.length }),
      flagged: goldAccuracy !== null && goldAccuracy < project.goldThreshold,
      positionBias: bias(own),
    };
  });
  const disagreements = multi
    .map((rs) => ({
      taskId: rs[0]!.taskId,
      annotations: rs.length,
      agreement: pairwisePreferenceAgreement(rs.map((r) => ranksOf(r.ranking))).agreement,
      policyConflict: new Set(rs.map((r) => r.promptPolicy)).size > 1,
    }))
    .sort((x, y) => (x.agreement ?? 1) - (y.agreement ?? 1) || Number(y.policyConflict) - Number(x.policyConflict))
    .filter((d) => (d.agreement ?? 1) < 1 || d.policyConflict)
    .slice(0, 100);
  return { projectId, goldThreshold: project.goldThreshold, agreement, annotators, disagreements, positionBias: bias(rows) };
}

/** Deep equality where numbers may differ in the last bits: the tallies add in another order. */
function expectSameReport(actual: unknown, expected: unknown, path = "report"): void {
  if (typeof expected === "number" && typeof actual === "number") {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length, `${path}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectSameReport((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected && typeof expected === "object") {
    expect(Object.keys(actual as object).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [key, e] of Object.entries(expected)) expectSameReport((actual as Record<string, unknown>)[key], e, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

async function expectMatchesOracle(db: Db, projectId: string) {
  const byAnnotator = <T extends { annotators: { annotatorId: string }[] }>(r: T) => ({ ...r, annotators: [...r.annotators].sort((a, b) => a.annotatorId.localeCompare(b.annotatorId)) });
  const expected = byAnnotator(await inMemoryQuality(db, projectId));
  const { counting, ...report } = await projectQuality(db, projectId);
  expect(counting).toBeNull();
  const actual = byAnnotator(report);
  expectSameReport(actual, expected);
  return actual;
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policies = ["allowed", "sensitive", "disallowed"] as const;

/** 40 tasks of K=4 with one to four annotations each (some with ties, some rejected, one with no
 *  annotator), mixed safety labels, skipped assignments and gold tasks with and without a policy. */
async function seedProject(deps: TestDeps) {
  const rand = random(18);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const project = await deps.db.project.create({ data: { name: `quality-${randomUUID()}`, k: 4, overlap: 3, tiesAllowed: true, goldThreshold: 0.7 } });
  const rows = Array.from({ length: 40 }, (_, i) => ({
    prompt: `Question ${i} ${project.id}`,
    responses: [0, 1, 2, 3].map((j) => ({ content: `Answer ${j} to ${i}`, model: `policy-v${j % 2}` })),
  }));
  async function* lines() {
    yield rows.map((r) => JSON.stringify(r)).join("\n");
  }
  await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines(), strict: true, filename: null, createdById: null });
  const tasks = await deps.db.task.findMany({ where: { projectId: project.id }, orderBy: { id: "asc" }, select: { id: true, responses: { select: { id: true }, orderBy: { index: "asc" } } } });
  const annotators = await Promise.all(Array.from({ length: 5 }, () => createUser(deps, "annotator")));

  const shuffle = <T>(xs: readonly T[]) => xs.map((x) => [rand(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  /** A ranking of the ids with ties: each id joins the previous group with probability 1/3. */
  const rankWithTies = (ids: string[]) => shuffle(ids).reduce<string[][]>((groups, id) => (groups.length && rand() < 1 / 3 ? groups.at(-1)!.push(id) : groups.push([id]), groups), []);

  for (const [i, task] of tasks.entries()) {
    const ids = task.responses.map((r) => r.id);
    const who = shuffle(annotators).slice(0, 1 + (i % 4));
    for (const [s, annotator] of who.entries()) {
      const shownOrder = shuffle(ids);
      // Half of the rankings follow the shown order, so position bias has something to find.
      const ranking = rand() < 0.5 ? shownOrder.map((id) => [id]) : rankWithTies(ids);
      const promptPolicy = pick(policies);
      const assignment = await deps.db.assignment.create({
        data: { taskId: task.id, annotatorId: annotator.id, state: "submitted", leaseExpiresAt: new Date(), shownOrder, finishedAt: new Date() },
      });
      await deps.db.annotation.create({
        data: {
          taskId: task.id,
          assignmentId: assignment.id,
          // The fourth annotation of a task, when there is one, comes from an import without annotator.
          annotatorId: s === 3 ? null : annotator.id,
          ranking,
          strengths: ranking.slice(1).map(() => "clear"),
          shownOrder,
          promptPolicy,
          harmCategory: promptPolicy === "allowed" ? null : pick(["privacy", "violence", "other"]),
          rubric: Object.fromEntries(ids.filter(() => rand() < 0.5).map((id) => [id, pick(["A", "B", "C", "D"])])),
          timeSpentMs: rand() < 0.1 ? null : Math.floor(1000 + rand() * 60_000),
          reviewState: rand() < 0.1 ? "rejected" : pick(["pending", "accepted"] as const),
        },
      });
    }
    // Every fifth task was also skipped by an annotator who did not label it.
    const skipper = annotators.find((a) => !who.includes(a));
    if (i % 5 === 0 && skipper) {
      await deps.db.assignment.create({ data: { taskId: task.id, annotatorId: skipper.id, state: "skipped", leaseExpiresAt: new Date(), shownOrder: ids, finishedAt: new Date() } });
    }
  }
  const admin = await createUser(deps, "admin");
  for (const [i, task] of tasks.slice(0, 6).entries()) {
    const ids = task.responses.map((r) => r.id);
    await markGold(deps.db, { taskId: task.id, answer: { ranking: i % 3 ? ids.map((id) => [id]) : [[ids[0]!, ids[1]!], [ids[2]!], [ids[3]!]], promptPolicy: i % 2 ? "allowed" : null } }, admin.id);
  }
  return { project, tasks, annotators, admin };
}

describe("quality report from tallies", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("gives the same report as the in-memory computation, before and after reviews, gold changes and deletions", async () => {
    const { project, tasks, annotators, admin } = await seedProject(deps);
    const first = await expectMatchesOracle(deps.db, project.id);
    // The seed exercises what it should: ties, several annotations per task, gold, safety labels.
    expect(first.agreement.multiplyLabelledTasks).toBeGreaterThan(20);
    expect(first.agreement.rankingAlpha.alpha).not.toBeNull();
    expect(first.agreement.harmCategoryAlpha.units).toBeGreaterThan(0);
    expect(first.agreement.rubricAlpha.units).toBeGreaterThan(0);
    expect(first.annotators.filter((a) => a.goldItems > 0).length).toBeGreaterThan(1);
    expect(first.disagreements.length).toBeGreaterThan(0);
    expect(first.positionBias.decisive).toBeGreaterThan(0);

    // Nothing changed, nothing is recomputed.
    expect(await refreshQualityTallies(deps.db, project.id)).toEqual({ refreshed: 0, left: 0 });

    const reviewer = await createUser(deps, "reviewer");
    // With an annotator: taking the annotator away below must change something.
    const pending = await deps.db.annotation.findMany({ where: { task: { projectId: project.id }, reviewState: "pending", annotatorId: { not: null } }, orderBy: { id: "asc" }, take: 3 });
    await rejectAnnotation(deps.db, { annotationId: pending[0]!.id, reason: "careless" }, reviewer.id);
    const ids = (pending[1]!.ranking as string[][]).flat();
    await correctAnnotation(
      deps.db,
      { annotationId: pending[1]!.id, labels: { ranking: { groups: [[ids[3]!, ids[2]!], [ids[1]!, ids[0]!]], strengths: ["slight"] } satisfies Ranking, promptPolicy: "sensitive", harmCategory: "privacy", rubric: Object.fromEntries(ids.map((id) => [id, "B" as const])), flags: {}, rationale: null }, note: "two ties" },
      reviewer.id,
    );
    // Changing a task's gold answer, removing an annotator from an annotation, deleting a task.
    const goldIds = tasks[1]!.responses.map((r) => r.id);
    await markGold(deps.db, { taskId: tasks[1]!.id, answer: { ranking: [...goldIds].reverse().map((id) => [id]), promptPolicy: "disallowed" } }, admin.id);
    await markGold(deps.db, { taskId: tasks[2]!.id, answer: null }, admin.id);
    await deps.db.annotation.update({ where: { id: pending[2]!.id }, data: { annotatorId: null } });
    // A changed time, on a task nothing else touches.
    const touched = [...pending.map((p) => p.taskId), ...[1, 2, 3, 7].map((i) => tasks[i]!.id)];
    const retimed = await deps.db.annotation.findFirstOrThrow({ where: { task: { projectId: project.id }, taskId: { notIn: touched }, reviewState: { not: "rejected" }, annotatorId: { not: null }, timeSpentMs: { not: null } } });
    await deps.db.annotation.update({ where: { id: retimed.id }, data: { timeSpentMs: retimed.timeSpentMs! + 100_000 } });
    // An annotator leases a task and skips it.
    const leased = await deps.db.assignment.create({
      data: { taskId: tasks[3]!.id, annotatorId: reviewer.id, state: "leased", leaseExpiresAt: new Date(), shownOrder: tasks[3]!.responses.map((r) => r.id) },
    });
    await deps.db.assignment.update({ where: { id: leased.id }, data: { state: "skipped", finishedAt: new Date() } });
    await deps.db.task.delete({ where: { id: tasks[7]!.id } });
    // Columns the report does not read queue nothing.
    await deps.db.annotation.updateMany({ where: { task: { projectId: project.id } }, data: { reviewSeenAt: new Date() } });

    const stale = (await deps.db.$queryRaw<{ taskId: string }[]>`SELECT "taskId" FROM task_quality_stale WHERE "projectId" = ${project.id}`).map((s) => s.taskId);
    expect(new Set(stale)).toEqual(new Set([...touched, retimed.taskId]));
    const after = await expectMatchesOracle(deps.db, project.id);
    expect(after.annotators.find((a) => a.annotatorId === reviewer.id)).toMatchObject({ volume: 0, skipRate: 1 });
    expect(annotators.length).toBe(5);
  });

  it("keeps the running total equal to a total built from scratch, under concurrent opens, until the project is deleted", async () => {
    const { project } = await seedProject(deps);
    // Two opens at once: one refresh waits for the other, and both see every task once.
    const [a, b] = await Promise.all([projectQuality(deps.db, project.id), projectQuality(deps.db, project.id)]);
    expect(a).toEqual(b);
    const annotation = await deps.db.annotation.findFirstOrThrow({ where: { task: { projectId: project.id }, reviewState: { not: "rejected" } }, orderBy: { id: "asc" } });
    // Many small changes back and forth, each followed by a refresh.
    for (const state of ["rejected", "pending", "rejected", "accepted"] as const) {
      await deps.db.annotation.update({ where: { id: annotation.id }, data: { reviewState: state } });
      expect(await refreshQualityTallies(deps.db, project.id)).toEqual({ refreshed: 1, left: 0 });
    }
    const [running] = await deps.db.$queryRaw<{ tally: string }[]>`SELECT tally FROM project_quality WHERE "projectId" = ${project.id}`;
    await deps.db.$executeRaw`DELETE FROM project_quality WHERE "projectId" = ${project.id}`;
    await deps.db.$executeRaw`DELETE FROM task_quality WHERE "projectId" = ${project.id}`;
    await deps.db.$executeRaw`INSERT INTO task_quality_stale ("taskId", "projectId") SELECT id, "projectId" FROM task WHERE "projectId" = ${project.id}`;
    await refreshQualityTallies(deps.db, project.id);
    const [rebuilt] = await deps.db.$queryRaw<{ tally: string }[]>`SELECT tally FROM project_quality WHERE "projectId" = ${project.id}`;
    expect(JSON.parse(running!.tally)).toEqual(JSON.parse(rebuilt!.tally));

    // A whole project queued (after the upgrade that added tallies): an open past its counting
    // budget says how much is left; the next ones go on counting until the report is whole.
    await deps.db.$executeRaw`INSERT INTO task_quality_stale ("taskId", "projectId") SELECT id, "projectId" FROM task WHERE "projectId" = ${project.id} ON CONFLICT DO NOTHING`;
    const queued = await deps.db.task.count({ where: { projectId: project.id } });
    expect((await projectQuality(deps.db, project.id, { refreshBudgetMs: -1 })).counting).toEqual({ tasksLeft: queued });
    await expectMatchesOracle(deps.db, project.id);

    // Deleting the project takes its tallies with it and queues nothing.
    await deps.db.$executeRaw`DELETE FROM project WHERE id = ${project.id}`;
    const [left] = await deps.db.$queryRaw<{ rows: number }[]>`
      SELECT (SELECT count(*) FROM task_quality WHERE "projectId" = ${project.id}) + (SELECT count(*) FROM task_quality_stale WHERE "projectId" = ${project.id})
        + (SELECT count(*) FROM quality_time_spent WHERE "projectId" = ${project.id}) + (SELECT count(*) FROM project_quality WHERE "projectId" = ${project.id}) AS rows`;
    expect(Number(left!.rows)).toBe(0);
  });
});
