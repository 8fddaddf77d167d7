import os from "node:os";
import path from "node:path";
import type PgBoss from "pg-boss";
import { z } from "zod";
import { createDb } from "../server/db";
import { ZJobHeartbeatEnv, ZServingEnv, ZStorageEnv } from "../server/env";
import { describeZodError } from "../server/errors";
import { isDatabaseUnavailable } from "../server/db-unavailable";
import { isJobKind, jobKinds, type JobKind } from "../server/jobs/kinds";
import { enqueue, markAttemptFailed, markRunning, markSucceeded, passOn, recordHeartbeat, requeueStaleJobs, resendLostMessages, type JobProgress } from "../server/jobs/service";
import { logger as rootLogger } from "../server/logger";
import { createBoss } from "../server/queue";
import { storagePathsFromEnv, type StoragePaths } from "../server/storage";
import { canRun, queuesFor, type Capabilities } from "../server/workers/capabilities";
import { registerWorker, touchWorker } from "../server/workers/service";
import { detectCapabilities } from "./detect-capabilities";
import { PermanentJobError, type JobContext } from "./jobs/job-handler";
import { jobHandlers } from "./jobs/registry";
import { whileDatabaseUnavailable } from "./while-database-unavailable";

const ZQueuedData = z.object({ jobId: z.uuid() });

export type WorkerOptions = {
  databaseUrl: string;
  workerId?: string;
  heartbeatMs?: number;
  pollingIntervalSeconds?: number;
  /** Default: JOB_HEARTBEAT_TIMEOUT_SECONDS. */
  heartbeatTimeoutSeconds?: number;
  /** How often this worker looks for jobs whose worker stopped responding. Default: every heartbeat. */
  sweepIntervalMs?: number;
  /** Default: what this machine has (nvidia-smi, CPUs, memory). */
  capabilities?: Capabilities;
  /** Default: ARTIFACT_DIR and MODELS_DIR. */
  paths?: StoragePaths;
  /** Default: TRAINER_PYTHON. */
  trainerPython?: string;
  /** Serve jobs this worker runs at once. Default: WORKER_SERVE_SLOTS, else 2 without a GPU and 1 with one. */
  serveSlots?: number;
};

export type RunningWorker = { workerId: string; capabilities: Capabilities; stop: () => Promise<void> };

/** Starts claiming the jobs this machine can run; `stop` lets running jobs finish, then returns. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const heartbeatTimeoutSeconds = options.heartbeatTimeoutSeconds ?? ZJobHeartbeatEnv.parse(process.env).JOB_HEARTBEAT_TIMEOUT_SECONDS;
  // Three beats per timeout at least, so a short timeout never takes back a job whose worker is alive.
  const heartbeatMs = options.heartbeatMs ?? Math.min(5000, (heartbeatTimeoutSeconds * 1000) / 3);
  const paths = options.paths ?? storagePathsFromEnv();
  const trainerPython = path.resolve(options.trainerPython ?? ZStorageEnv.parse(process.env).TRAINER_PYTHON);
  const capabilities = options.capabilities ?? (await detectCapabilities());
  const log = rootLogger.child({ workerId });
  const db = createDb(options.databaseUrl);
  const boss = createBoss(options.databaseUrl, `rlhf-worker ${workerId}`);
  const stopping = new AbortController();
  await boss.start();
  await registerWorker(db, { id: workerId, host: os.hostname(), capabilities });

  // Every worker sweeps; the statement skips rows another sweeper holds, so they never collide, and a
  // message re-sent by two sweepers keeps one id, so it is delivered once.
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await touchWorker(db, workerId);
      for (const job of await requeueStaleJobs({ db, boss }, { timeoutSeconds: heartbeatTimeoutSeconds })) {
        log.warn({ jobId: job.id, staleWorkerId: job.staleWorkerId, state: job.state, attempt: job.attempt }, "took back a job whose worker stopped responding");
      }
      for (const job of await resendLostMessages({ db, boss })) {
        if (job.sent) log.warn({ jobId: job.id, bossJobId: job.bossJobId }, "sent again the lost queue message of a queued job");
      }
    } finally {
      sweeping = false;
    }
  };
  const sweeper = setInterval(() => {
    sweep().catch((err: unknown) => log.warn({ err }, "sweep failed"));
  }, options.sweepIntervalMs ?? heartbeatMs);

  const queues: string[] = [];
  // A serve job never ends on its own: it holds its loop for as long as it serves, so serving more
  // than one model (side by side in the Playground) takes a loop each.
  const serveSlots = options.serveSlots ?? ZServingEnv.parse(process.env).WORKER_SERVE_SLOTS ?? (capabilities.gpus.length > 0 ? 1 : 2);
  for (const kind of Object.keys(jobKinds) as JobKind[]) {
    for (const queue of queuesFor(kind, capabilities)) {
      queues.push(queue);
      await boss.createQueue(queue);
      for (let slot = 0; slot < (kind === "serve" ? serveSlots : 1); slot++) await boss.work(queue, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 }, async ([bossJob]) => {
        if (bossJob) await runJob(kind, bossJob);
      });
    }
  }
  log.info({ queues, capabilities }, "worker started");

  async function runJob(kind: JobKind, bossJob: PgBoss.JobWithMetadata<unknown>) {
    const { jobId } = ZQueuedData.parse(bossJob.data);
    const jobLog = log.child({ jobId, kind });
    const wanted = await db.job.findUnique({ where: { id: jobId }, select: { gpus: true } });
    if (wanted && !canRun(capabilities, wanted.gpus)) {
      const handed = await passOn({ db, boss }, jobId, bossJob.id);
      jobLog.info({ gpus: wanted.gpus, handed }, "job needs more GPUs than this worker has; left for another");
      return;
    }
    const claim = await markRunning(db, jobId, workerId, bossJob.id);
    if (!claim) {
      jobLog.info("job is not this message's to run (finished, cancelled, running elsewhere or re-sent); skipped");
      return;
    }
    const row = await db.job.findUniqueOrThrow({ where: { id: jobId }, select: { payload: true, maxAttempts: true, createdById: true } });
    // Aborted when the job is cancelled or is no longer this worker's; the worker's stop aborts it too.
    const lost = new AbortController();
    const signal = AbortSignal.any([stopping.signal, lost.signal]);
    const beat = async (update?: JobProgress) => {
      try {
        if (!(await recordHeartbeat(db, claim, update))) lost.abort();
      } catch (err) {
        // A beat missed while the database restarts is not the job's failure; the next one catches up.
        if (!isDatabaseUnavailable(err)) throw err;
        jobLog.warn("heartbeat missed: database unavailable");
      }
    };
    const timer = setInterval(() => {
      beat().catch((err: unknown) => jobLog.warn({ err }, "heartbeat failed"));
    }, heartbeatMs);
    try {
      // Queued data can be older than the code: parse it again.
      const parsed = jobKinds[kind].payload.safeParse(row.payload);
      if (!parsed.success) throw new PermanentJobError(`The job's payload is no longer valid: ${describeZodError(parsed.error)}`);
      // The payload was parsed with this kind's own schema, so it is what this kind's handler takes.
      const handler = jobHandlers[kind] as (payload: unknown, ctx: JobContext) => Promise<unknown>;
      const result = await handler(parsed.data, {
        jobId,
        workerId,
        attempt: claim.attempt,
        db,
        log: jobLog,
        paths,
        trainerPython,
        signal,
        heartbeat: beat,
        followUp: async (followUpKind, followUpPayload) => {
          if (!isJobKind(followUpKind)) throw new Error(`unknown job kind ${followUpKind}`);
          return enqueue({ db, boss, paths }, followUpKind, followUpPayload as never, { createdById: row.createdById ?? undefined });
        },
      });
      // The job ran to its end: its result waits out a database restart rather than being lost.
      const recorded = await whileDatabaseUnavailable(() => markSucceeded(db, claim, result), { log: jobLog, giveUpAfterMs: heartbeatTimeoutSeconds * 1000, what: "record the result" });
      if (!recorded) jobLog.warn("job finished but is no longer this worker's; result not recorded");
      else jobLog.info("job succeeded");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (lost.signal.aborted) {
        // Cancelled (or taken back by a sweeper): that state stands, nothing is retried from here.
        jobLog.info({ reason: message }, "job stopped: it is no longer this worker's to run");
        return;
      }
      const permanent = err instanceof PermanentJobError;
      const willRetry = !permanent && claim.attempt < row.maxAttempts && bossJob.retryCount < bossJob.retryLimit;
      await whileDatabaseUnavailable(() => markAttemptFailed(db, claim, message, willRetry), { log: jobLog, giveUpAfterMs: heartbeatTimeoutSeconds * 1000, what: "record the failure" });
      jobLog.error({ err, willRetry }, "job failed");
      // Thrown back to the queue only when it should deliver the job again.
      if (willRetry) throw err;
    } finally {
      clearInterval(timer);
    }
  }

  return {
    workerId,
    capabilities,
    stop: async () => {
      clearInterval(sweeper);
      stopping.abort();
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
      await db.$disconnect();
      log.info("worker stopped");
    },
  };
}
