import os from "node:os";
import type PgBoss from "pg-boss";
import { z } from "zod";
import { createDb } from "../server/db";
import { markAttemptFailed, markRunning, markSucceeded, recordHeartbeat } from "../server/jobs/service";
import { logger as rootLogger } from "../server/logger";
import { createBoss } from "../server/queue";
import type { JobDefinition } from "./jobs/job-definition";
import { jobRegistry } from "./jobs/registry";

const ZQueuedData = z.object({ jobId: z.uuid() });

export type WorkerOptions = {
  databaseUrl: string;
  workerId?: string;
  heartbeatMs?: number;
  pollingIntervalSeconds?: number;
};

export type RunningWorker = { workerId: string; stop: () => Promise<void> };

/** Starts claiming jobs of every registered kind; `stop` lets running jobs finish, then returns. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const heartbeatMs = options.heartbeatMs ?? 5000;
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
    const beat = setInterval(() => {
      recordHeartbeat(db, jobId).catch((err) => jobLog.warn({ err }, "heartbeat failed"));
    }, heartbeatMs);
    try {
      // Queued data can be older than the code: parse it again.
      const payload = def.payload.parse(row.payload);
      const result = await def.handler(payload, {
        jobId,
        workerId,
        attempt: row.attempt,
        db,
        log: jobLog,
        signal: stopping.signal,
        heartbeat: (progress) => recordHeartbeat(db, jobId, progress),
      });
      await markSucceeded(db, jobId, workerId, result);
      jobLog.info("job succeeded");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const willRetry = bossJob.retryCount < bossJob.retryLimit;
      await markAttemptFailed(db, jobId, workerId, message, willRetry);
      jobLog.error({ err, willRetry }, "job failed");
      throw err;
    } finally {
      clearInterval(beat);
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
