import path from "node:path";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { evalCaveats, evalHeadline } from "../models/eval-headline";
import { storagePathsFromEnv } from "../storage";
import { listCheckpointFolders } from "./checkpoint-folders";
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
  // What a running serve job reports (its server's address and load); runs are admin-only.
  result: true,
  createdBy: { select: { id: true, email: true } },
} satisfies Prisma.JobSelect;

type PayloadRef = { role: string; id: string };

// Roles in the order the console lists them (jsonb does not keep the payload's key order).
const roleOrder = ["data", "prompts", "pairs", "policy", "reward", "safety", "base", "parent"];
const roleRank = (role: string) => (roleOrder.includes(role) ? roleOrder.indexOf(role) : roleOrder.length);
const byRole = (a: PayloadRef, b: PayloadRef) => roleRank(a.role) - roleRank(b.role) || a.role.localeCompare(b.role);

/**
 * What a run's payload refers to (every training kind pins them at enqueue): snapshots under
 * `snapshotId` or `<role>SnapshotId` (prompts, pairs), model versions under `<role>ModelId` or `<role>ModelIds`.
 */
function payloadRefs(payload: unknown): { snapshots: PayloadRef[]; models: PayloadRef[]; config: Record<string, unknown> } {
  const p = (payload && typeof payload === "object" ? payload : {}) as Record<string, unknown>;
  const ids = Object.entries(p).filter((e): e is [string, string] => typeof e[1] === "string");
  const snapshots = ids.filter(([k]) => k === "snapshotId" || k.endsWith("SnapshotId")).map(([k, id]) => ({ role: k === "snapshotId" ? "data" : k.replace(/SnapshotId$/, ""), id }));
  const models = ids.filter(([k]) => k.endsWith("ModelId")).map(([k, id]) => ({ role: k.replace(/ModelId$/, ""), id }));
  // A serve job's one model.
  if (typeof p.modelVersionId === "string") models.push({ role: "model", id: p.modelVersionId });
  // Lists under `<role>ModelIds` (an acquisition's ensemble): one entry each, numbered.
  for (const [k, list] of Object.entries(p)) {
    if (!k.endsWith("ModelIds") || !Array.isArray(list)) continue;
    list.forEach((id, i) => typeof id === "string" && models.push({ role: `${k.replace(/ModelIds$/, "")} ${i + 1}`, id }));
  }
  const config = p.config && typeof p.config === "object" ? (p.config as Record<string, unknown>) : {};
  return { snapshots: snapshots.sort(byRole), models: models.sort(byRole), config };
}

/** Names for the snapshots and model versions that runs refer to, in two queries for any number of runs. */
async function resolveInputs(db: Db, payloads: unknown[]) {
  const refs = payloads.map(payloadRefs);
  const snapshotIds = [...new Set(refs.flatMap((r) => r.snapshots.map((s) => s.id)))];
  const modelIds = [...new Set(refs.flatMap((r) => r.models.map((m) => m.id)))];
  const [snapshots, models] = await Promise.all([
    snapshotIds.length === 0
      ? []
      : db.snapshot.findMany({
          where: { id: { in: snapshotIds } },
          select: { id: true, format: true, aggregate: true, rowCount: true, createdAt: true, project: { select: { id: true, name: true } } },
        }),
    modelIds.length === 0 ? [] : db.modelVersion.findMany({ where: { id: { in: modelIds } }, select: { id: true, name: true, kind: true } }),
  ]);
  const snapshotById = new Map(snapshots.map((s) => [s.id, s]));
  const modelById = new Map(models.map((m) => [m.id, m]));
  return refs.map((r) => ({
    snapshots: r.snapshots.map(({ role, id }) => ({ role, ...(snapshotById.get(id) ?? { id, missing: true as const }) })),
    models: r.models.map(({ role, id }) => ({ role, id, name: modelById.get(id)?.name ?? null, kind: modelById.get(id)?.kind ?? null })),
    config: r.config,
  }));
}

/** Training runs, newest first, with what they were started from. */
export async function listRuns(db: Db, { limit }: { limit: number }) {
  const jobs = await db.job.findMany({ where: { kind: { in: [...runKinds] } }, orderBy: { createdAt: "desc" }, take: limit, select: runSelect });
  const inputs = await resolveInputs(db, jobs.map((j) => j.payload));
  // Only a serve job's result (its address and load) is the list's business; others can be large.
  return jobs.map((job, i) => ({ ...job, result: job.kind === "serve" ? job.result : null, inputs: inputs[i]! }));
}

/**
 * The checkpoints in a run's folder (`checkpoints/step-N`), newest first. They outlive a cancelled
 * or failed attempt; none when the folder is not (or no longer) on this machine.
 */
async function listCheckpoints(artifactDir: string, outputDir: string | null) {
  if (!outputDir) return [];
  const folders = await listCheckpointFolders(path.join(artifactDir, outputDir));
  return folders.map(({ step, name }) => ({ step, path: `${outputDir}/checkpoints/${name}` }));
}

/**
 * One run with its config, inputs, outputs (its model versions: checkpoints and the final model),
 * the checkpoints on disk that are not versions, log tail and metric names.
 */
export async function getRunOrThrow(db: Db, jobId: string, { artifactDir = storagePathsFromEnv().artifactDir }: { artifactDir?: string } = {}) {
  const job = await db.job.findFirst({
    where: { id: jobId, kind: { in: [...runKinds] } },
    select: {
      ...runSelect,
      logTail: true,
      outputDir: true,
      result: true,
      models: {
        orderBy: [{ checkpointStep: { sort: "asc", nulls: "last" } }, { createdAt: "asc" }],
        select: { id: true, name: true, kind: true, path: true, eval: true, checkpointStep: true, prunedAt: true, createdAt: true },
      },
    },
  });
  if (!job) throw new AppError("NOT_FOUND", `No training run with id ${jobId}`);
  const [inputs] = await resolveInputs(db, [job.payload]);
  const [names, checkpoints] = await Promise.all([
    db.metric.findMany({ where: { jobId }, distinct: ["name"], select: { name: true }, orderBy: { name: "asc" } }),
    listCheckpoints(artifactDir, job.outputDir),
  ]);
  const { models, ...rest } = job;
  // A checkpoint that is a model version is listed with the outputs; the rest are resume state only.
  const registered = new Set(models.map((m) => m.checkpointStep));
  const outputs = models.map(({ eval: evalJson, ...m }) => ({ ...m, headline: evalHeadline(evalJson), caveats: evalCaveats(evalJson) }));
  return { ...rest, inputs: inputs!, outputs, checkpoints: checkpoints.filter((c) => !registered.has(c.step)), metricNames: names.map((n) => n.name) };
}
