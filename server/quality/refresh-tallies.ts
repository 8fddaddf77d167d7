// Brings a project's quality tallies up to date: the tasks that triggers queued in
// task_quality_stale are recomputed from their annotations, and each one's old tally is swapped for
// the new in the project's total. Work is proportional to what changed since the last refresh.
import type { Db } from "../db";
import type { GoldAnswer } from "./gold-score";
import { addTally, taskQuality, type Tally, type TaskAnnotation, type TaskAssignment } from "./task-tally";

/** How long one open of the quality report or the dashboard spends bringing tallies up to date
 *  before answering. */
export const openRefreshBudgetMs = 1500;

/** Tasks recomputed per transaction: bounds memory and lock time when a whole project is new. */
const batchSize = 1000;

type Row = TaskAnnotation & { id: string; taskId: string };

const byTask = <T extends { taskId: string }>(ids: string[], rows: T[]) => {
  const groups = new Map<string, T[]>(ids.map((id) => [id, []]));
  for (const row of rows) groups.get(row.taskId)!.push(row);
  return groups;
};

/**
 * Recomputes queued tasks a batch at a time until none is left or, with `until` (a Date.now()
 * time), until that time has passed after a batch: a project whose every task is queued (after the
 * upgrade that added the tallies, or a large import of judgements) is counted over several opens of
 * the report instead of in one request. Returns the tasks recomputed and those still queued.
 */
export async function refreshQualityTallies(db: Db, projectId: string, { until = Infinity }: { until?: number } = {}): Promise<{ refreshed: number; left: number }> {
  let refreshed = 0;
  for (;;) {
    if (Date.now() > until) {
      const [queued] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM task_quality_stale WHERE "projectId" = ${projectId}`;
      return { refreshed, left: queued!.n };
    }
    const done = await db.$transaction(
      async (tx) => {
        // The project's total row is the lock: one refresh per project at a time.
        await tx.$executeRaw`INSERT INTO project_quality ("projectId") VALUES (${projectId}) ON CONFLICT DO NOTHING`;
        const [locked] = await tx.$queryRaw<{ tally: string }[]>`SELECT tally FROM project_quality WHERE "projectId" = ${projectId} FOR UPDATE`;
        const total = JSON.parse(locked!.tally) as Tally;
        const stale = await tx.$queryRaw<{ taskId: string }[]>`
          DELETE FROM task_quality_stale WHERE "taskId" IN (
            SELECT "taskId" FROM task_quality_stale WHERE "projectId" = ${projectId} LIMIT ${batchSize})
          RETURNING "taskId"`;
        if (!stale.length) return 0;
        const ids = stale.map((s) => s.taskId);
        // Hot path at scale: one read of every annotation of the batch, in the order the report
        // has always used (task, then creation).
        const rows = await tx.$queryRaw<Row[]>`
          SELECT n.id, n."taskId", n."annotatorId", n.ranking, n."promptPolicy"::text AS "promptPolicy", n."harmCategory", n.rubric,
                 n."shownOrder", n."timeSpentMs", n."reviewState"::text AS "reviewState"
          FROM annotation n WHERE n."taskId" = ANY(${ids}::text[])
          ORDER BY n."taskId", n."createdAt"`;
        const assignments = await tx.$queryRaw<(TaskAssignment & { taskId: string })[]>`
          SELECT "taskId", "annotatorId", state::text AS state FROM assignment WHERE "taskId" = ANY(${ids}::text[])`;
        const tasks = await tx.$queryRaw<{ id: string; isGold: boolean; goldAnswer: GoldAnswer | null }[]>`
          SELECT id, "isGold", "goldAnswer" FROM task WHERE id = ANY(${ids}::text[])`;
        const responses = await tx.$queryRaw<{ id: string; taskId: string; model: string | null }[]>`
          SELECT id, "taskId", model FROM response WHERE "taskId" = ANY(${ids}::text[])`;
        const old = await tx.$queryRaw<{ tally: string }[]>`SELECT tally FROM task_quality WHERE "taskId" = ANY(${ids}::text[])`;

        for (const o of old) addTally(total, JSON.parse(o.tally) as Tally, -1);
        const gold = new Map(tasks.map((t) => [t.id, t.isGold && t.goldAnswer ? t.goldAnswer : null]));
        const assigned = byTask(ids, assignments);
        const models = new Map([...byTask(ids, responses)].map(([taskId, own]) => [taskId, new Map(own.map((r) => [r.id, r.model]))]));
        const fresh = [...byTask(ids, rows)].map(([taskId, own]) => ({ taskId, ...taskQuality(own, assigned.get(taskId)!, gold.get(taskId) ?? null, models.get(taskId)) }));
        for (const f of fresh) addTally(total, f.tally);

        // A task with nothing to count (no annotations, no assignments) keeps no row.
        const kept = fresh.filter((f) => Object.keys(f.tally).length > 0);
        await tx.$executeRaw`DELETE FROM task_quality WHERE "taskId" = ANY(${ids}::text[])`;
        await tx.$executeRaw`
          INSERT INTO task_quality ("taskId", "projectId", annotations, agreement, disagreement, "policyConflict", tally)
          SELECT x."taskId", ${projectId}, x.annotations, x.agreement, 1 - coalesce(x.agreement, 1), x."policyConflict", x.tally
          FROM jsonb_to_recordset(${JSON.stringify(kept.map((k) => ({ ...k, tally: JSON.stringify(k.tally) })))}::jsonb)
            AS x("taskId" text, annotations int, agreement float8, "policyConflict" boolean, tally text)`;
        const timed = rows.filter((r) => r.annotatorId !== null && r.timeSpentMs !== null && r.reviewState !== "rejected");
        await tx.$executeRaw`DELETE FROM quality_time_spent WHERE "taskId" = ANY(${ids}::text[])`;
        await tx.$executeRaw`
          INSERT INTO quality_time_spent ("annotationId", "taskId", "projectId", "annotatorId", "timeSpentMs")
          SELECT id, "taskId", ${projectId}, "annotatorId", "timeSpentMs"
          FROM unnest(${timed.map((r) => r.id)}::text[], ${timed.map((r) => r.taskId)}::text[], ${timed.map((r) => r.annotatorId)}::text[], ${timed.map((r) => r.timeSpentMs)}::int[])
            AS x(id, "taskId", "annotatorId", "timeSpentMs")`;
        await tx.$executeRaw`UPDATE project_quality SET tally = ${JSON.stringify(total)} WHERE "projectId" = ${projectId}`;
        return ids.length;
      },
      { timeout: 120_000 },
    );
    if (!done) return { refreshed, left: 0 };
    refreshed += done;
  }
}
