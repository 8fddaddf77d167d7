// The numbers reviewers trust a project's data by: agreement, gold accuracy, the annotator table,
// the disagreement queue and position bias. The figures that compare annotators on a task come
// from the project's tallies (./refresh-tallies.ts), brought up to date first, so the report reads
// aggregates rather than every annotation.
import type { Db } from "../db";
import { AppError } from "../errors";
import { firstPlaceChance, positionBias } from "./position-bias";
import { medianOfMiddle, medianWindow } from "./median-window";
import { openRefreshBudgetMs, refreshQualityTallies } from "./refresh-tallies";
import { qualityOfTally, type Tally } from "./task-tally";
import { trustScore } from "./trust-score";

/** Rows grouped by a key, in their order (Map.groupBy needs Node 21). */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/**
 * The report. `counting` is set while queued tasks are left after the refresh budget: the figures
 * then cover only the tasks counted so far, and the next open goes on counting.
 */
export async function projectQuality(db: Db, projectId: string, { refreshBudgetMs: budget = openRefreshBudgetMs }: { refreshBudgetMs?: number } = {}) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true, k: true, goldThreshold: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const { left } = await refreshQualityTallies(db, projectId, { until: Date.now() + budget });
  const [[total], queue] = await Promise.all([
    db.$queryRaw<{ tally: string }[]>`SELECT tally FROM project_quality WHERE "projectId" = ${projectId}`,
    // Tasks whose annotators disagree most, for adjudication, in the order of the index on
    // task_quality (ties by task id, as the report has always listed them).
    db.$queryRaw<{ taskId: string; annotations: number; agreement: number | null; policyConflict: boolean }[]>`
      SELECT "taskId", annotations, agreement, "policyConflict" FROM task_quality
      WHERE "projectId" = ${projectId} AND (disagreement > 0 OR "policyConflict")
      ORDER BY disagreement DESC, "policyConflict" DESC, "taskId" LIMIT 100`,
  ]);
  const tallied = qualityOfTally(JSON.parse(total?.tally ?? "{}") as Tally);
  const assigned = [...tallied.annotators].filter(([, c]) => c.assigned > 0);
  const ids = assigned.map(([id]) => id);
  const windows = assigned.map(([, c]) => medianWindow(c.timed));
  const [users, middles] = await Promise.all([
    db.$queryRaw<{ id: string; name: string }[]>`SELECT id, name FROM "user" WHERE id = ANY(${ids}::text[])`,
    // The middle one or two of each annotator's times, read from the index in order.
    db.$queryRaw<{ annotatorId: string; timeSpentMs: number }[]>`
      SELECT x.id AS "annotatorId", m."timeSpentMs"
      FROM unnest(${ids}::text[], ${windows.map((w) => w.skip)}::int[], ${windows.map((w) => w.take)}::int[]) AS x(id, skip, take)
      CROSS JOIN LATERAL (
        SELECT q."timeSpentMs" FROM quality_time_spent q WHERE q."projectId" = ${projectId} AND q."annotatorId" = x.id
        ORDER BY q."timeSpentMs" OFFSET x.skip LIMIT x.take) m
      WHERE x.skip >= 0`,
  ]);
  const names = new Map(users.map((u) => [u.id, u.name]));
  const median = (annotatorId: string) => medianOfMiddle(middles.filter((m) => m.annotatorId === annotatorId).map((m) => m.timeSpentMs));

  const chance = firstPlaceChance(project.k);
  const annotators = assigned
    .filter(([id]) => names.has(id))
    .map(([annotatorId, c]) => {
      const goldAccuracy = c.gold?.accuracy ?? null;
      const finished = c.submitted + c.skipped;
      const skipRate = finished ? c.skipped / finished : null;
      const peerAgreement = c.peer.agreement;
      return {
        annotatorId,
        name: names.get(annotatorId)!,
        volume: c.volume,
        rejected: c.rejected,
        medianTimeMs: median(annotatorId),
        peerAgreement,
        peerComparisons: c.peer.comparisons,
        goldAccuracy,
        goldItems: c.gold?.items ?? 0,
        skipRate,
        trust: trustScore({ goldAccuracy, peerAgreement, skipRate, volume: c.volume }),
        flagged: goldAccuracy !== null && goldAccuracy < project.goldThreshold,
        positionBias: positionBias({ firstWins: c.firstWins, decisive: c.decisive, chance }),
      };
    });

  return {
    projectId,
    counting: left > 0 ? { tasksLeft: left } : null,
    goldThreshold: project.goldThreshold,
    agreement: tallied.agreement,
    annotators,
    disagreements: queue,
    positionBias: positionBias({ ...tallied.trials, chance }),
  };
}
