import os from "node:os";
import path from "node:path";
import type PgBoss from "pg-boss";
import { z } from "zod";
import { createDb } from "../server/db";
import { ZStorageEnv } from "../server/env";
import { describeZodError } from "../server/errors";
import { markAttemptFailed, markRunning, markSucceeded, recordHeartbeat, type JobProgress } from "../server/jobs/service";
import { logger as rootLogger } from "../server/logger";
import { createBoss } from "../server/queue";
import { storagePathsFromEnv, type StoragePaths } from "../server/storage";
import { PermanentJobError, type JobDefinition } from "./jobs/job-definition";
import { jobRegistry } from "./jobs/registry";

const ZQueuedData = z.object({ jobId: z.uuid() });

export type WorkerOptions = {
  databaseUrl: string;
  workerId?: string;
  heartbeatMs?: number;
  pollingIntervalSeconds?: number;
  /** Default: ARTIFACT_DIR and MODELS_DIR. */
  paths?: StoragePaths;
  /** Default: TRAINER_PYTHON. */
  trainerPython?: string;
};

export type RunningWorker = { workerId: string; stop: () => Promise<void> };

/** Starts claiming jobs of every registered kind; `stop` lets running jobs finish, then returns. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const paths = options.paths ?? storagePathsFromEnv();
  const trainerPython = path.resolve(options.trainerPython ?? ZStorageEnv.parse(process.env).TRAINER_PYTHON);
  const log = rootLogger.child({ workerId });
  const db = createDb(options.databaseUrl);
  const boss = createBoss(options.databaseUrl, `rlhf-worker ${workerId}`);
  const stopping = new AbortController();
  await boss.start();

  for (const def of Object.values(jobRegistry) as JobDefinition[]) {
    await boss.createQueue(def.name);
    await boss.work(
      def.name,
      { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
      async ([bossJob]) => {
        if (bossJob) await runJob(def, bossJob);
      },
    );
  }
  log.info({ kinds: Object.keys(jobRegistry) }, "worker started");

  async function runJob(def: JobDefinition, bossJob: PgBoss.JobWithMetadata<unknown>) {
    const { jobId } = ZQueuedData.parse(bossJob.data);
    const jobLog = log.child({ jobId, kind: def.name });
    if (!(await markRunning(db, jobId, workerId))) {
      jobLog.info("job is no longer runnable; skipped");
      return;
    }
    const row = await db.job.findUniqueOrThrow({ where: { id: jobId }, select: { payload: true, attempt: true } });
    // Aborted when the job is cancelled or is no longer this worker's; the worker's stop aborts it too.
    const lost = new AbortController();
    const signal = AbortSignal.any([stopping.signal, lost.signal]);
    const beat = async (update?: JobProgress) => {
      if (!(await recordHeartbeat(db, jobId, workerId, update))) lost.abort();
    };
    const timer = setInterval(() => {
      beat().catch((err) => jobLog.warn({ err }, "heartbeat failed"));
    }, heartbeatMs);
    try {
      // Queued data can be older than the code: parse it again.
      const parsed = def.payload.safeParse(row.payload);
      if (!parsed.success) throw new PermanentJobError(`The job's payload is no longer valid: ${describeZodError(parsed.error)}`);
      const payload: unknown = parsed.data;
      const result = await def.handler(payload, {
        jobId,
        workerId,
        attempt: row.attempt,
        db,
        log: jobLog,
        paths,
        trainerPython,
        signal,
        heartbeat: beat,
      });
      if (!(await markSucceeded(db, jobId, workerId, result))) jobLog.warn("job finished but is no longer this worker's; result not recorded");
      else jobLog.info("job succeeded");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (lost.signal.aborted) {
        // Cancelled (or claimed by another worker): that state stands, nothing is retried from here.
        jobLog.info({ reason: message }, "job stopped: it is no longer this worker's to run");
        return;
      }
      const permanent = err instanceof PermanentJobError;
      const willRetry = !permanent && bossJob.retryCount < bossJob.retryLimit;
      await markAttemptFailed(db, jobId, workerId, message, willRetry);
      jobLog.error({ err, willRetry }, "job failed");
      // Thrown back to the queue only when it should deliver the job again.
      if (willRetry) throw err;
    } finally {
      clearInterval(timer);
    }
  }

  return {
    workerId,
    stop: async () => {
      stopping.abort();
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
      await db.$disconnect();
      log.info("worker stopped");
    },
  };
}
