import type { z } from "zod";
import type { Db } from "../../server/db";
import type { JobKind, jobKinds } from "../../server/jobs/kinds";
import type { JobProgress } from "../../server/jobs/service";
import type { Logger } from "../../server/logger";
import type { StoragePaths } from "../../server/storage";

export type JobContext = {
  jobId: string;
  workerId: string;
  attempt: number;
  db: Db;
  log: Logger;
  paths: StoragePaths;
  /** The Python interpreter that has the trainer's dependencies. */
  trainerPython: string;
  /** Aborted when the worker stops or the job is cancelled; pass it to child processes. */
  signal: AbortSignal;
  /** Records liveness and, when given, progress in [0, 1], step counts and the log tail. */
  heartbeat: (update?: JobProgress) => Promise<void>;
  /** Queues another job (checked like any other), on behalf of whoever queued this one. */
  followUp: (kind: string, payload: unknown) => Promise<{ id: string }>;
};

/** Runs one attempt of a job of kind `K` (its contract is `jobKinds[K]`); the result is stored with the job. */
export type JobHandler<K extends JobKind> = (payload: z.output<(typeof jobKinds)[K]["payload"]>, ctx: JobContext) => Promise<unknown>;

/** A failure another attempt cannot fix (bad input): the job fails at once instead of retrying. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}
