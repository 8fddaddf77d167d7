import type { Db } from "../db";

export type MetricPoint = { step: number; name: string; value: number };

/**
 * Stores a batch of a run's metrics in one statement. A resumed attempt re-reports the steps after
 * its checkpoint, so a (name, step) seen again takes the newer value.
 */
export async function recordMetrics(db: Db, jobId: string, attempt: number, points: readonly MetricPoint[]): Promise<void> {
  if (points.length === 0) return;
  // Within one statement a key may appear once (ON CONFLICT cannot touch a row twice): last wins.
  const latest = new Map<string, MetricPoint>();
  for (const p of points) latest.set(`${p.name}\u0000${p.step}`, p);
  const rows = [...latest.values()];
  // One INSERT … SELECT unnest(…) instead of N statements: runs report many points a second.
  await db.$executeRaw`
    INSERT INTO metric ("jobId", attempt, step, name, value)
    SELECT ${jobId}, ${attempt}, s, n, v FROM unnest(${rows.map((r) => r.step)}::int[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.value)}::float8[]) AS t(s, n, v)
    ON CONFLICT ("jobId", name, step) DO UPDATE SET value = EXCLUDED.value, attempt = EXCLUDED.attempt`;
}

/** A run's metrics by name, each series in step order (for charts). */
export async function listMetrics(db: Db, jobId: string, opts: { names?: string[]; afterStep?: number } = {}) {
  const rows = await db.metric.findMany({
    where: { jobId, ...(opts.names ? { name: { in: opts.names } } : {}), ...(opts.afterStep === undefined ? {} : { step: { gt: opts.afterStep } }) },
    orderBy: [{ name: "asc" }, { step: "asc" }],
    select: { name: true, step: true, value: true },
  });
  const series: Record<string, { step: number; value: number }[]> = {};
  for (const r of rows) (series[r.name] ??= []).push({ step: r.step, value: r.value });
  return series;
}
