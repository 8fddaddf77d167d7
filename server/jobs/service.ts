import { randomUUID } from "node:crypto";
import type PgBoss from "pg-boss";
import { z } from "zod";
import { writeAudit } from "../audit/log";
import type { Db } from "../db";
import { hasErrorCode, uniqueViolation } from "../error-codes";
import { AppError } from "../errors";
import { type JobState, Prisma } from "../generated/prisma/client";
import { storagePathsFromEnv, type StoragePaths } from "../storage";
import { queueNameFor } from "../workers/capabilities";
import type { JobContract } from "./job-contract";
import { jobKinds, type JobKind } from "./kinds";

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
  gpus: true,
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
  payload: z.input<(typeof jobKinds)[K]["payload"]>,
  options: { createdById?: string; gpus?: number } = {},
) {
  const def: JobContract = jobKinds[kind];
  const parsed = def.payload.safeParse(payload);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `Invalid ${kind} payload: ${z.prettifyError(parsed.error)}`);
  }
  // A payload may ask for GPUs itself; the option wins.
  const asked = (parsed.data as { gpus?: unknown }).gpus;
  const gpus = options.gpus ?? (typeof asked === "number" ? asked : 0);
  if (!Number.isInteger(gpus) || gpus < 0 || gpus > 64) throw new AppError("BAD_REQUEST", `Invalid gpus: ${gpus} (a whole number from 0 to 64)`);
  const pinned = def.prepare ? await def.prepare(parsed.data, { db, paths: paths ?? storagePathsFromEnv(), where: "enqueue" }) : parsed.data;
  // The queue message's id is chosen here, so the row names it before any worker can see the message.
  const bossJobId = randomUUID();
  const job = await db.job
    .create({
      data: {
        kind,
        payload: pinned as Prisma.InputJsonValue,
        maxAttempts: def.maxAttempts,
        gpus,
        bossJobId,
        createdById: options.createdById,
        events: { create: { to: "queued" } },
      },
      select: jobSelect,
    })
    .catch((err: unknown) => {
      // A unique index on job rows (one active serve job per model version) caught a job that
      // another request queued after `prepare` looked.
      if (hasErrorCode(err, uniqueViolation)) throw new AppError("CONFLICT", `An equal ${kind} job was queued at the same moment and is active; cancel it first`);
      throw err;
    });
  try {
    await sendToQueue(boss, { id: job.id, kind, gpus, attempt: 0, maxAttempts: def.maxAttempts, bossJobId });
  } catch (err) {
    // Nothing acknowledged may be lost: a job the queue did not take is not left looking queued.
    await db.job.delete({ where: { id: job.id } });
    throw err;
  }
  await writeAudit(db, { actorId: options.createdById ?? null, action: "job.queue", target: `job:${job.id}`, after: { kind, gpus } });
  return job;
}

type QueuedJob = { id: string; kind: string; gpus: number; attempt: number; maxAttempts: number; bossJobId: string };

/** Sends the message that delivers a job's next attempt; the queue retries it while attempts remain. */
async function sendToQueue(boss: PgBoss, job: QueuedJob, startAfterSeconds?: number) {
  if (!(await sendMessage(boss, job, startAfterSeconds))) throw new Error(`The queue did not take job ${job.id}`);
}

/** False when the queue already holds a message with the job's `bossJobId` (its id is the queue's key). */
async function sendMessage(boss: PgBoss, job: QueuedJob, startAfterSeconds?: number): Promise<boolean> {
  const def: JobContract | undefined = (jobKinds as Record<string, JobContract>)[job.kind];
  const queue = queueNameFor(job.kind, job.gpus);
  await boss.createQueue(queue);
  const id = await boss.send(queue, { jobId: job.id }, {
    id: job.bossJobId,
    startAfter: startAfterSeconds,
    retryLimit: Math.max(0, job.maxAttempts - job.attempt - 1),
    retryDelay: 1,
    expireInSeconds: def?.expireInSeconds ?? 23 * 60 * 60,
  });
  return id !== null;
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

type LockedJob = { state: JobState; workerId: string | null; attempt: number; bossJobId: string | null };

/** Who runs an attempt: a worker holds a job only while the job's row names it and that attempt. */
export type JobClaim = { jobId: string; workerId: string; attempt: number };

async function transition(
  db: Db,
  jobId: string,
  allowedFrom: JobState[],
  to: JobState,
  data: Prisma.JobUpdateInput,
  event: { workerId?: string; message?: string },
  /** Extra condition on the locked row (the claim it must still match). */
  holds: (row: LockedJob) => boolean = () => true,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<LockedJob[]>`SELECT state, "workerId", attempt, "bossJobId" FROM job WHERE id = ${jobId} FOR UPDATE`;
    const row = rows[0];
    if (!row || !allowedFrom.includes(row.state) || !holds(row)) return false;
    await tx.job.update({ where: { id: jobId }, data: { ...data, state: to } });
    await tx.jobEvent.create({ data: { jobId, from: row.state, to, workerId: event.workerId, message: event.message } });
    return true;
  });
}

const holdsClaim = (claim: JobClaim) => (row: LockedJob) => row.workerId === claim.workerId && row.attempt === claim.attempt;

/**
 * Claims a queued job for a worker, atomically (the row is locked and must still be queued), and
 * only through the queue message that delivers its current attempt: a stale or duplicate message
 * claims nothing. Returns the claim, or null when the job is not this message's to run.
 */
export async function markRunning(db: Db, jobId: string, workerId: string, bossJobId?: string): Promise<JobClaim | null> {
  const now = new Date();
  let attempt = 0;
  const claimed = await transition(
    db,
    jobId,
    ["queued"],
    "running",
    { workerId, startedAt: now, heartbeatAt: now, attempt: { increment: 1 }, error: null },
    { workerId },
    (row) => {
      attempt = row.attempt + 1;
      return bossJobId === undefined || row.bossJobId === null || row.bossJobId === bossJobId;
    },
  );
  return claimed ? { jobId, workerId, attempt } : null;
}

export function markSucceeded(db: Db, claim: JobClaim, result: unknown) {
  return transition(
    db,
    claim.jobId,
    ["running"],
    "succeeded",
    { result: (result ?? null) as Prisma.InputJsonValue, progress: 1, finishedAt: new Date() },
    { workerId: claim.workerId },
    holdsClaim(claim),
  );
}

/** Records a failed attempt: back to queued while tries remain, otherwise failed for good. */
export function markAttemptFailed(db: Db, claim: JobClaim, error: string, willRetry: boolean) {
  return transition(
    db,
    claim.jobId,
    ["running"],
    willRetry ? "queued" : "failed",
    { error, finishedAt: willRetry ? null : new Date() },
    { workerId: claim.workerId, message: error.slice(0, 2000) },
    holdsClaim(claim),
  );
}

export type JobProgress = {
  /** In [0, 1]. */
  progress?: number;
  step?: number | null;
  totalSteps?: number | null;
  logTail?: string | null;
  /** What a job that never finishes reports while it runs (a server's address and load). */
  result?: Prisma.InputJsonValue;
};

/**
 * Records that the worker still runs the job, with what it reports. False when the job is no longer
 * this worker's to run (cancelled, or taken back by the sweeper and maybe claimed again): the worker stops it.
 */
export async function recordHeartbeat(db: Db, claim: JobClaim, update: JobProgress = {}): Promise<boolean> {
  const { progress, ...rest } = update;
  const { count } = await db.job.updateMany({
    where: { id: claim.jobId, state: "running", workerId: claim.workerId, attempt: claim.attempt },
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
  if (done) await writeAudit(db, { actorId: by.userId ?? null, action: "job.cancel", target: `job:${jobId}` });
  if (!done) {
    const job = await getJobOrThrow(db, jobId);
    throw new AppError("CONFLICT", `Job ${jobId} is ${job.state}; only queued or running jobs can be cancelled`);
  }
  return getJobOrThrow(db, jobId);
}

export type StaleJob = {
  id: string;
  kind: string;
  state: JobState;
  attempt: number;
  maxAttempts: number;
  gpus: number;
  staleBossJobId: string | null;
  bossJobId: string;
  staleWorkerId: string | null;
};

/**
 * Takes back running jobs whose worker stopped heart-beating (killed, frozen, cut off): each goes
 * back to queued with a fresh queue message, or fails when its attempts are used up. One statement
 * picks, moves and records them (rows locked by a heartbeat or another sweeper are skipped), so
 * every worker can run it on a timer at once. The stale message is cancelled so it is not
 * delivered again; if it were, it could not claim the job (see `markRunning`).
 */
export async function requeueStaleJobs({ db, boss }: { db: Db; boss: PgBoss }, { timeoutSeconds }: { timeoutSeconds: number }): Promise<StaleJob[]> {
  // Raw SQL: the condition on the heartbeat's age, the move and the events must be one statement.
  const stale = await db.$queryRaw<StaleJob[]>`
    WITH stale AS (
      SELECT id, "workerId", "bossJobId" FROM job
      WHERE state = 'running' AND "heartbeatAt" < now() - make_interval(secs => ${timeoutSeconds}::double precision)
      ORDER BY "heartbeatAt"
      LIMIT 100
      FOR UPDATE SKIP LOCKED
    ), moved AS (
      UPDATE job j SET
        state = (CASE WHEN j.attempt >= j."maxAttempts" THEN 'failed' ELSE 'queued' END)::"JobState",
        error = 'The worker ' || coalesce(stale."workerId", '(unknown)') || ' stopped responding (no heartbeat for ' || ${timeoutSeconds}::int || ' s)'
          || CASE WHEN j.attempt >= j."maxAttempts" THEN '; no attempts left' ELSE '; the job was queued again' END,
        "finishedAt" = CASE WHEN j.attempt >= j."maxAttempts" THEN now() ELSE NULL END,
        "bossJobId" = gen_random_uuid()::text
      FROM stale WHERE j.id = stale.id
      RETURNING j.id, j.kind, j.state, j.attempt, j."maxAttempts", j.gpus, j."bossJobId", stale."bossJobId" AS "staleBossJobId", j.error, stale."workerId" AS "staleWorkerId"
    ), events AS (
      INSERT INTO job_event ("jobId", "from", "to", "workerId", message)
      SELECT id, 'running', state, "staleWorkerId", error FROM moved
    )
    SELECT id, kind, state, attempt, "maxAttempts", gpus, "bossJobId", "staleBossJobId", "staleWorkerId" FROM moved`;
  for (const job of stale) {
    if (job.staleBossJobId) await boss.cancel(queueNameFor(job.kind, job.gpus), job.staleBossJobId).catch(() => undefined);
    // The row already names the new message, so only it can claim the next attempt.
    if (job.state === "queued") await sendToQueue(boss, job);
  }
  return stale;
}

/**
 * Sends again the message of queued jobs whose message was lost: the job row names its message
 * before it is sent (`enqueue`, `requeueStaleJobs`, `passOn`), so a process that dies in between
 * leaves a queued job nothing delivers. A job is left alone for `graceSeconds` after it was created
 * or last changed state, so a send in progress is not raced. The message keeps the row's id, so two
 * sweepers (or a late original send) still make one delivery: the queue takes an id once. A message
 * that ended, or that a worker fetched more than `graceSeconds` ago without claiming its job (it
 * died in between: workers fetch one message at a time and claim it at once), keeps its id taken,
 * so that job gets a new message id; the old message can no longer claim it. Returns the jobs found.
 */
export async function resendLostMessages({ db, boss }: { db: Db; boss: PgBoss }, { graceSeconds = 30 }: { graceSeconds?: number } = {}): Promise<(QueuedJob & { sent: boolean })[]> {
  // Raw SQL: pg-boss keeps its messages in pgboss.job (partitioned by queue name); created and
  // retry will still deliver, and a message fetched within the grace period is being claimed.
  const pending = Prisma.sql`(m.state IN ('created', 'retry') OR (m.state = 'active' AND m.started_on >= now() - make_interval(secs => ${graceSeconds}::double precision)))`;
  const lost = await db.$queryRaw<QueuedJob[]>`
    SELECT j.id, j.kind, j.gpus, j.attempt, j."maxAttempts", j."bossJobId" FROM job j
    WHERE j.state = 'queued' AND j."bossJobId" IS NOT NULL AND j.kind = ANY(${Object.keys(jobKinds)})
      AND j."createdAt" < now() - make_interval(secs => ${graceSeconds}::double precision)
      AND NOT EXISTS (SELECT 1 FROM job_event e WHERE e."jobId" = j.id AND e.at >= now() - make_interval(secs => ${graceSeconds}::double precision))
      AND NOT EXISTS (
        SELECT 1 FROM pgboss.job m
        WHERE m.name = (CASE WHEN j.gpus > 0 THEN j.kind || ':gpu' ELSE j.kind END) AND m.id::text = j."bossJobId"
          AND ${pending})
    ORDER BY j."createdAt"
    LIMIT 100`;
  const found: (QueuedJob & { sent: boolean })[] = [];
  for (const job of lost) {
    if (await sendMessage(boss, job)) {
      found.push({ ...job, sent: true });
      continue;
    }
    const [message] = await db.$queryRaw<{ pending: boolean }[]>`SELECT ${pending} AS pending FROM pgboss.job m WHERE m.id::text = ${job.bossJobId} LIMIT 1`;
    // Another sweeper's send of the same id came first: it will deliver.
    if (!message || message.pending) {
      found.push({ ...job, sent: false });
      continue;
    }
    const next = randomUUID();
    const { count } = await db.job.updateMany({ where: { id: job.id, state: "queued", bossJobId: job.bossJobId }, data: { bossJobId: next } });
    found.push({ ...job, bossJobId: next, sent: count === 1 && (await sendMessage(boss, { ...job, bossJobId: next })) });
  }
  return found;
}

/**
 * Gives a queued job's delivery back for another worker (this one has too few GPUs): a new message,
 * sent after a pause, replaces the one that was delivered here. False when the job moved on meanwhile.
 */
export async function passOn({ db, boss }: { db: Db; boss: PgBoss }, jobId: string, bossJobId: string, afterSeconds = 10): Promise<boolean> {
  const next = randomUUID();
  const { count } = await db.job.updateMany({ where: { id: jobId, state: "queued", bossJobId }, data: { bossJobId: next } });
  if (count === 0) return false;
  const job = await db.job.findUniqueOrThrow({ where: { id: jobId }, select: { id: true, kind: true, gpus: true, attempt: true, maxAttempts: true } });
  // Not sendToQueue: the change writes no job event, so a sweeper may have re-sent this id already.
  await sendMessage(boss, { ...job, bossJobId: next }, afterSeconds);
  return true;
}
