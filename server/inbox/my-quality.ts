// An annotator's own quality, per project they labelled: how much of their reviewed work was
// accepted (week by week), their gold accuracy against the project's threshold, and how often
// they agree with their peers, each with the number it rests on.
import type { Db } from "../db";
import { wilson } from "../evaluation/results";
import { projectQuality } from "../quality/report";

export async function myQuality(db: Db, userId: string, { refreshBudgetMs }: { refreshBudgetMs?: number } = {}) {
  const projects = await db.$queryRaw<{ id: string; name: string; goldThreshold: number; labelled: number }[]>`
    SELECT p.id, p.name, p."goldThreshold", count(*)::int AS labelled FROM annotation n JOIN task t ON t.id = n."taskId" JOIN project p ON p.id = t."projectId"
    WHERE n."annotatorId" = ${userId} AND p."archivedAt" IS NULL GROUP BY p.id ORDER BY p.name`;
  return Promise.all(
    projects.map(async (p) => {
      const [quality, weeks] = await Promise.all([
        projectQuality(db, p.id, { refreshBudgetMs }),
        db.$queryRaw<{ week: Date; reviewed: number; accepted: number; corrected: number; rejected: number }[]>`
          SELECT date_trunc('week', n."reviewedAt") AS week, count(*)::int AS reviewed,
                 count(*) FILTER (WHERE n."reviewState" = 'accepted')::int AS accepted,
                 count(*) FILTER (WHERE n."reviewState" = 'corrected')::int AS corrected,
                 count(*) FILTER (WHERE n."reviewState" = 'rejected')::int AS rejected
          FROM annotation n JOIN task t ON t.id = n."taskId"
          WHERE n."annotatorId" = ${userId} AND t."projectId" = ${p.id} AND n."reviewedAt" IS NOT NULL
          GROUP BY 1 ORDER BY 1`,
      ]);
      const me = quality.annotators.find((a) => a.annotatorId === userId);
      const reviewed = weeks.reduce((n, w) => n + w.reviewed, 0);
      const accepted = weeks.reduce((n, w) => n + w.accepted, 0);
      const [lo, hi] = wilson(accepted, reviewed);
      return {
        project: { id: p.id, name: p.name },
        goldThreshold: p.goldThreshold,
        labelled: p.labelled,
        reviewed,
        acceptance: reviewed ? { value: accepted / reviewed, lo, hi, n: reviewed } : null,
        corrected: weeks.reduce((n, w) => n + w.corrected, 0),
        rejected: weeks.reduce((n, w) => n + w.rejected, 0),
        goldAccuracy: me?.goldAccuracy ?? null,
        goldItems: me?.goldItems ?? 0,
        belowGoldThreshold: me?.flagged ?? false,
        peerAgreement: me?.peerAgreement ?? null,
        peerComparisons: me?.peerComparisons ?? 0,
        weeks: weeks.map((w) => ({ week: w.week, reviewed: w.reviewed, accepted: w.accepted, rate: w.accepted / w.reviewed })),
        // Gold accuracy and peer agreement come from the project's tallies: partial while they are counted.
        counting: quality.counting,
      };
    }),
  );
}
