// Each annotator's accuracy on a project's gold items, from the gold annotations alone.
import type { Db } from "../db";
import { goldScore, type GoldAnswer } from "./gold-score";
import { groupBy } from "./report";

export async function goldAccuracyByAnnotator(db: Db, projectId: string): Promise<{ accuracy: Map<string, number>; flagged: string[] }> {
  const [project] = await db.$queryRaw<{ goldThreshold: number }[]>`SELECT "goldThreshold" FROM project WHERE id = ${projectId}`;
  const rows = await db.$queryRaw<{ annotatorId: string; ranking: string[][]; promptPolicy: string | null; goldAnswer: GoldAnswer }[]>`
    SELECT n."annotatorId", n.ranking, n."promptPolicy"::text AS "promptPolicy", t."goldAnswer"
    FROM annotation n JOIN task t ON t.id = n."taskId"
    WHERE t."projectId" = ${projectId} AND t."isGold" AND t."goldAnswer" IS NOT NULL
      AND n."annotatorId" IS NOT NULL AND n."reviewState" <> 'rejected'`;
  const accuracy = new Map(
    [...groupBy(rows, (r) => r.annotatorId)].map(([id, own]) => [id, own.reduce((sum, r) => sum + goldScore(r, r.goldAnswer), 0) / own.length]),
  );
  const threshold = project?.goldThreshold ?? 0;
  return { accuracy, flagged: [...accuracy].filter(([, a]) => a < threshold).map(([id]) => id) };
}
