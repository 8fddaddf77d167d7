import type PgBoss from "pg-boss";
import { z } from "zod";
import type { JobDefinition } from "../../workers/jobs/job-definition";
import { jobRegistry, type JobKind } from "../../workers/jobs/registry";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { JobState, Prisma } from "../generated/prisma/client";
import { storagePathsFromEnv, type StoragePaths } from "../storage";

export const jobSelect = {
  id: true,
  kind: true,
  payload: true,
  state: true,
  progress: true,
  attempt: true,
  maxAttempts: true,
  result: true,
  error: true,
  workerId: true,
  heartbeatAt: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  outputDir: true,
  logTail: true,
  step: true,
  totalSteps: true,
  createdBy: { select: { id: true, email: true } },
} satisfies Prisma.JobSelect;

type Deps = { db: Db; boss: PgBoss; paths?: StoragePaths };

/**
 * Validates the payload against the job kind's schema, checks what it refers to (the kind's
 * `prepare`: snapshots, model versions) and pins defaults, records the job and hands it to the queue.
 */
export async function enqueue<K extends JobKind>(
  { db, boss, paths }: Deps,
  kind: K,
  payload: z.input<(typeof jobRegistry)[K]["payload"]>,
  options: { createdById?: string } = {},
) {
  const def: JobDefinition = jobRegistry[kind];
  const parsed = def.payload.safeParse(payload);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `Invalid ${kind} payload: ${z.prettifyError(parsed.error)}`);
  }
  const pinned = def.prepare ? await def.prepare(parsed.data, { db, paths: paths ?? storagePathsFromEnv(), where: "enqueue" }) : parsed.data;
  const job = await db.job.create({
    data: {
      kind,
      payload: pinned as Prisma.InputJsonValue,
      maxAttempts: def.maxAttempts,
      createdById: options.createdById,
      events: { create: { to: "queued" } },
    },
    select: jobSelect,
  });
  try {
    await boss.createQueue(kind);
    await boss.send(kind, { jobId: job.id }, {
      retryLimit: def.maxAttempts - 1,
      retryDelay: 1,
      expireInSeconds: def.expireInSeconds,
      singletonKey: job.id,
    });
  } catch (err) {
    // Nothing acknowledged may be lost: a job the queue did not take is not left looking queued.
    await db.job.delete({ where: { id: job.id } });
    throw err;
  }
  return job;
}

export async function listJobs(db: Db, { limit, state }: { limit: number; state?: JobState }) {
  return db.job.findMany({
    where: state ? { state } : undefined,
    orderBy: { createdAt: "desc" },
    take: limit,
    select: jobSelect,
  });
}

export async function getJobOrThrow(db: Db, id: string) {
  const job = await db.job.findUnique({
    where: { id },
    select: { ...jobSelect, events: { orderBy: { at: "asc" }, select: { from: true, to: true, at: true, workerId: true, message: true } } },
  });
  if (!job) throw new AppError("NOT_FOUND", `No job with id ${id}`);
  return job;
}

// ---- State transitions, called by the worker. Each writes the job row and a JobEvent together.

async function transition(
  db: Db,
  jobId: string,
  allowedFrom: JobState[],
  to: JobState,
  data: Prisma.JobUpdateInput,
  event: { workerId?: string; message?: string },
  /** Only when this worker holds the job: one that lost it (re-queued, claimed elsewhere) changes nothing. */
  ownedBy?: string,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ state: JobState; workerId: string | null }[]>`SELECT state, "workerId" FROM job WHERE id = ${jobId} FOR UPDATE`;
    const from = rows[0]?.state;
    if (!from || !allowedFrom.includes(from)) return false;
    if (ownedBy !== undefined && rows[0]?.workerId !== ownedBy) return false;
    await tx.job.update({ where: { id: jobId }, data: { ...data, state: to } });
    await tx.jobEvent.create({ data: { jobId, from, to, workerId: event.workerId, message: event.message } });
    return true;
  });
}

/** Claims the job for a worker; false when it is no longer runnable (finished or cancelled). */
export function markRunning(db: Db, jobId: string, workerId: string) {
  const now = new Date();
  return transition(
    db,
    jobId,
    ["queued", "running"],
    "running",
    { workerId, startedAt: now, heartbeatAt: now, attempt: { increment: 1 }, error: null },
    { workerId },
  );
}

export function markSucceeded(db: Db, jobId: string, workerId: string, result: unknown) {
  return transition(
    db,
    jobId,
    ["running"],
    "succeeded",
    { result: (result ?? null) as Prisma.InputJsonValue, progress: 1, finishedAt: new Date() },
    { workerId },
    workerId,
  );
}

/** Records a failed attempt: back to queued while tries remain, otherwise failed for good. */
export function markAttemptFailed(db: Db, jobId: string, workerId: string, error: string, willRetry: boolean) {
  return transition(
    db,
    jobId,
    ["running"],
    willRetry ? "queued" : "failed",
    { error, finishedAt: willRetry ? null : new Date() },
    { workerId, message: error.slice(0, 2000) },
    workerId,
  );
}

export type JobProgress = {
  /** In [0, 1]. */
  progress?: number;
  step?: number | null;
  totalSteps?: number | null;
  logTail?: string | null;
};

/**
 * Records that the worker still runs the job, with what it reports. False when the job is no longer
 * this worker's to run (cancelled, or taken back and claimed by another worker): the worker stops it.
 */
export async function recordHeartbeat(db: Db, jobId: string, workerId: string, update: JobProgress = {}): Promise<boolean> {
  const { progress, ...rest } = update;
  const { count } = await db.job.updateMany({
    where: { id: jobId, state: "running", workerId },
    data: { heartbeatAt: new Date(), ...rest, ...(progress === undefined ? {} : { progress: Math.min(1, Math.max(0, progress)) }) },
  });
  return count === 1;
}

/**
 * Cancels a queued or running job. A running job's worker notices at its next heartbeat and stops
 * the process, which saves a checkpoint first; the run's folder is kept.
 */
export async function cancelJob(db: Db, jobId: string, by: { userId?: string } = {}) {
  const done = await transition(db, jobId, ["queued", "running"], "cancelled", { finishedAt: new Date() }, { message: by.userId ? `cancelled by ${by.userId}` : "cancelled" });
  if (!done) {
    const job = await getJobOrThrow(db, jobId);
    throw new AppError("CONFLICT", `Job ${jobId} is ${job.state}; only queued or running jobs can be cancelled`);
  }
  return getJobOrThrow(db, jobId);
}
