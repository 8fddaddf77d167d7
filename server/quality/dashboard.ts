// The campaign numbers on a project's dashboard. What sums over every annotation (review states,
// policy mix, rubric grades by model, annotators, submissions and skips) comes from the project's
// quality tallies (./task-tally.ts), brought up to date first as the quality report does; the task
// counts, the recent hours and the median are read from the database.
import type { Db } from "../db";
import { AppError } from "../errors";
import { medianOfMiddle, medianWindow } from "./median-window";
import { openRefreshBudgetMs, refreshQualityTallies } from "./refresh-tallies";
import { campaignOfTally, type Tally } from "./task-tally";

export async function projectDashboard(
  db: Db,
  { projectId, now = new Date(), hours = 48, refreshBudgetMs: budget = openRefreshBudgetMs }: { projectId: string; now?: Date; hours?: number; refreshBudgetMs?: number },
) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true, name: true, overlap: true, k: true, mode: true, archivedAt: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const since = new Date(now.getTime() - hours * 3600_000);
  const hourAgo = new Date(now.getTime() - 3600_000);
  const { left } = await refreshQualityTallies(db, projectId, { until: Date.now() + budget });

  const [[tasks], perHour, [activity], [tally]] = await Promise.all([
    db.$queryRaw<{ total: bigint; done: bigint; inProgress: bigint; gold: bigint }[]>`
      SELECT count(*) FILTER (WHERE NOT t."isGold") AS total,
        count(*) FILTER (WHERE NOT t."isGold" AND t."annotationCount" >= ${project.overlap}) AS done,
        count(*) FILTER (WHERE NOT t."isGold" AND t."annotationCount" < ${project.overlap} AND (t."annotationCount" > 0
          OR EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > ${now}))) AS "inProgress",
        count(*) FILTER (WHERE t."isGold") AS gold
      -- Tasks that are not rankable (thumbs imports) are training data, not labelling work.
      FROM task t WHERE t."projectId" = ${projectId} AND t.rankable`,
    db.$queryRaw<{ hour: Date; labels: bigint }[]>`
      SELECT date_trunc('hour', n."createdAt") AS hour, count(*) AS labels
      FROM annotation n JOIN task t ON t.id = n."taskId"
      WHERE t."projectId" = ${projectId} AND n."createdAt" >= ${since} AND n.origin = 'human'
      GROUP BY 1 ORDER BY 1`,
    // Leased or finished in the last hour (greatest skips a null finishedAt), by an expression index.
    db.$queryRaw<{ activeLastHour: bigint; reports: bigint }[]>`
      SELECT
        (SELECT count(DISTINCT a."annotatorId") FROM assignment a JOIN task t ON t.id = a."taskId"
          WHERE t."projectId" = ${projectId} AND greatest(a."createdAt", a."finishedAt") >= ${hourAgo}) AS "activeLastHour",
        (SELECT count(*) FROM prompt_report r JOIN prompt p ON p.id = r."promptId" WHERE p."projectId" = ${projectId}) AS reports`,
    db.$queryRaw<{ tally: string }[]>`SELECT tally FROM project_quality WHERE "projectId" = ${projectId}`,
  ]);
  const counts = campaignOfTally(JSON.parse(tally?.tally ?? "{}") as Tally);
  // The middle one or two of the project's times (annotations not rejected, with an annotator),
  // read from the index in order.
  const { skip, take } = medianWindow(counts.timed);
  const middle = counts.timed
    ? await db.$queryRaw<{ timeSpentMs: number }[]>`
        SELECT "timeSpentMs" FROM quality_time_spent WHERE "projectId" = ${projectId} ORDER BY "timeSpentMs" OFFSET ${skip} LIMIT ${take}`
    : [];

  const total = Number(tasks!.total);
  const done = Number(tasks!.done);
  const inProgress = Number(tasks!.inProgress);
  const finished = counts.submitted + counts.skipped;
  const labelsByHour = new Map(perHour.map((h) => [h.hour.getTime(), Number(h.labels)]));
  const firstHour = new Date(since);
  firstHour.setUTCMinutes(0, 0, 0);
  const series = [];
  for (let t = firstHour.getTime(); t <= now.getTime(); t += 3600_000) series.push({ hour: new Date(t), labels: labelsByHour.get(t) ?? 0 });

  return {
    project,
    /** Set while tasks are left to count after the refresh budget: the tallied figures then cover
     *  only the tasks counted so far. */
    counting: left > 0 ? { tasksLeft: left } : null,
    tasks: { total, done, inProgress, remaining: total - done - inProgress, gold: Number(tasks!.gold) },
    labelsPerHour: series,
    activeAnnotatorsLastHour: Number(activity!.activeLastHour),
    annotators: counts.annotators,
    medianTimeMs: medianOfMiddle(middle.map((m) => m.timeSpentMs)),
    skipRate: finished ? counts.skipped / finished : null,
    reportRate: finished ? Number(activity!.reports) / finished : null,
    policyMix: counts.policyMix.map((p) => ({ policy: p.policy ?? "(none)", annotations: p.annotations })),
    rubricByModel: [...counts.rubricByModel].map(([model, grades]) => ({ model, A: grades.A ?? 0, B: grades.B ?? 0, C: grades.C ?? 0, D: grades.D ?? 0 })),
    reviewStates: counts.reviewStates as Partial<Record<"pending" | "accepted" | "rejected" | "corrected", number>>,
  };
}
