import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { runKinds } from "./run-kinds";

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

const runSelect = {
  id: true,
  kind: true,
  payload: true,
  state: true,
  progress: true,
  attempt: true,
  maxAttempts: true,
  error: true,
  workerId: true,
  heartbeatAt: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  step: true,
  totalSteps: true,
  createdBy: { select: { id: true, email: true } },
} satisfies Prisma.JobSelect;

/** The ids a run's payload refers to (every training kind pins them at enqueue). */
function payloadRefs(payload: unknown): { snapshotId?: string; modelIds: string[]; config: Record<string, unknown> } {
  const p = (payload ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const modelIds = ["baseModelId", "parentModelId", "policyModelId", "rewardModelId", "safetyModelId"].flatMap((k) => (str(p[k]) ? [p[k] as string] : []));
  const config = p.config && typeof p.config === "object" ? (p.config as Record<string, unknown>) : {};
  return { snapshotId: str(p.snapshotId), modelIds, config };
}

/** Names for the snapshots and model versions that runs refer to, in two queries for any number of runs. */
async function resolveInputs(db: Db, payloads: unknown[]) {
  const refs = payloads.map(payloadRefs);
  const snapshotIds = [...new Set(refs.flatMap((r) => (r.snapshotId ? [r.snapshotId] : [])))];
  const modelIds = [...new Set(refs.flatMap((r) => r.modelIds))];
  const [snapshots, models] = await Promise.all([
    db.snapshot.findMany({
      where: { id: { in: snapshotIds } },
      select: { id: true, format: true, aggregate: true, rowCount: true, createdAt: true, project: { select: { id: true, name: true } } },
    }),
    db.modelVersion.findMany({ where: { id: { in: modelIds } }, select: { id: true, name: true, kind: true } }),
  ]);
  const snapshotById = new Map(snapshots.map((s) => [s.id, s]));
  const modelById = new Map(models.map((m) => [m.id, m]));
  return refs.map((r, i) => {
    const roles = Object.entries((payloads[i] ?? {}) as Record<string, unknown>).filter(([k, v]) => k.endsWith("ModelId") && typeof v === "string");
    return {
      snapshot: r.snapshotId ? (snapshotById.get(r.snapshotId) ?? { id: r.snapshotId, missing: true as const }) : null,
      models: roles.map(([role, id]) => ({ role: role.replace(/ModelId$/, ""), id: id as string, name: modelById.get(id as string)?.name ?? null, kind: modelById.get(id as string)?.kind ?? null })),
      config: r.config,
    };
  });
}

/** Training runs, newest first, with what they were started from. */
export async function listRuns(db: Db, { limit }: { limit: number }) {
  const jobs = await db.job.findMany({ where: { kind: { in: [...runKinds] } }, orderBy: { createdAt: "desc" }, take: limit, select: runSelect });
  const inputs = await resolveInputs(db, jobs.map((j) => j.payload));
  return jobs.map((job, i) => ({ ...job, inputs: inputs[i]! }));
}

/** One run with its config, inputs, outputs (registered model versions), log tail and metric names. */
export async function getRunOrThrow(db: Db, jobId: string) {
  const job = await db.job.findFirst({
    where: { id: jobId, kind: { in: [...runKinds] } },
    select: {
      ...runSelect,
      logTail: true,
      outputDir: true,
      result: true,
      models: { orderBy: { createdAt: "asc" }, select: { id: true, name: true, kind: true, path: true, eval: true, createdAt: true } },
    },
  });
  if (!job) throw new AppError("NOT_FOUND", `No training run with id ${jobId}`);
  const [inputs] = await resolveInputs(db, [job.payload]);
  const names = await db.metric.findMany({ where: { jobId }, distinct: ["name"], select: { name: true }, orderBy: { name: "asc" } });
  const { models, ...rest } = job;
  return { ...rest, inputs: inputs!, outputs: models, metricNames: names.map((n) => n.name) };
}
