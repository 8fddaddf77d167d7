// The campaign numbers on a project's dashboard, all counted in the database.
import type { Db } from "../db";
import { AppError } from "../errors";

export async function projectDashboard(db: Db, { projectId, now = new Date(), hours = 48 }: { projectId: string; now?: Date; hours?: number }) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true, name: true, overlap: true, k: true, mode: true, archivedAt: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const since = new Date(now.getTime() - hours * 3600_000);
  const hourAgo = new Date(now.getTime() - 3600_000);

  const [[tasks], perHour, [activity], policyMix, rubricByModel, reviewStates] = await Promise.all([
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
    db.$queryRaw<{ activeLastHour: bigint; annotators: bigint; medianTimeMs: number | null; submitted: bigint; skipped: bigint; reports: bigint }[]>`
      SELECT
        (SELECT count(DISTINCT a."annotatorId") FROM assignment a JOIN task t ON t.id = a."taskId"
          WHERE t."projectId" = ${projectId} AND (a."createdAt" >= ${hourAgo} OR a."finishedAt" >= ${hourAgo})) AS "activeLastHour",
        (SELECT count(DISTINCT n."annotatorId") FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = ${projectId}) AS annotators,
        (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n."timeSpentMs") FROM annotation n JOIN task t ON t.id = n."taskId"
          WHERE t."projectId" = ${projectId} AND n."timeSpentMs" IS NOT NULL) AS "medianTimeMs",
        (SELECT count(*) FROM assignment a JOIN task t ON t.id = a."taskId" WHERE t."projectId" = ${projectId} AND a.state = 'submitted') AS submitted,
        (SELECT count(*) FROM assignment a JOIN task t ON t.id = a."taskId" WHERE t."projectId" = ${projectId} AND a.state = 'skipped') AS skipped,
        (SELECT count(*) FROM prompt_report r JOIN prompt p ON p.id = r."promptId" WHERE p."projectId" = ${projectId}) AS reports`,
    db.$queryRaw<{ policy: string | null; annotations: bigint }[]>`
      SELECT n."promptPolicy"::text AS policy, count(*) AS annotations
      FROM annotation n JOIN task t ON t.id = n."taskId"
      WHERE t."projectId" = ${projectId} AND n."reviewState" <> 'rejected'
      GROUP BY 1 ORDER BY 1`,
    db.$queryRaw<{ model: string; grade: string; count: bigint }[]>`
      SELECT coalesce(r.model, '(unknown)') AS model, g.value AS grade, count(*) AS count
      FROM annotation n JOIN task t ON t.id = n."taskId"
        CROSS JOIN LATERAL jsonb_each_text(n.rubric) AS g
        JOIN response r ON r.id = g.key
      WHERE t."projectId" = ${projectId} AND n."reviewState" <> 'rejected'
      GROUP BY 1, 2 ORDER BY 1, 2`,
    db.$queryRaw<{ state: string; count: bigint }[]>`
      SELECT n."reviewState"::text AS state, count(*) AS count
      FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = ${projectId}
      GROUP BY 1`,
  ]);

  const total = Number(tasks!.total);
  const done = Number(tasks!.done);
  const inProgress = Number(tasks!.inProgress);
  const finished = Number(activity!.submitted) + Number(activity!.skipped);
  const models = new Map<string, Record<string, number>>();
  for (const r of rubricByModel) models.set(r.model, { ...(models.get(r.model) ?? {}), [r.grade]: Number(r.count) });
  const labelsByHour = new Map(perHour.map((h) => [h.hour.getTime(), Number(h.labels)]));
  const firstHour = new Date(since);
  firstHour.setUTCMinutes(0, 0, 0);
  const series = [];
  for (let t = firstHour.getTime(); t <= now.getTime(); t += 3600_000) series.push({ hour: new Date(t), labels: labelsByHour.get(t) ?? 0 });

  return {
    project,
    tasks: { total, done, inProgress, remaining: total - done - inProgress, gold: Number(tasks!.gold) },
    labelsPerHour: series,
    activeAnnotatorsLastHour: Number(activity!.activeLastHour),
    annotators: Number(activity!.annotators),
    medianTimeMs: activity!.medianTimeMs,
    skipRate: finished ? Number(activity!.skipped) / finished : null,
    reportRate: finished ? Number(activity!.reports) / finished : null,
    policyMix: policyMix.map((p) => ({ policy: p.policy ?? "(none)", annotations: Number(p.annotations) })),
    rubricByModel: [...models].map(([model, grades]) => ({ model, A: grades.A ?? 0, B: grades.B ?? 0, C: grades.C ?? 0, D: grades.D ?? 0 })),
    reviewStates: Object.fromEntries(reviewStates.map((r) => [r.state, Number(r.count)])) as Partial<Record<"pending" | "accepted" | "rejected" | "corrected", number>>,
  };
}
