import type { z } from "zod";
import type { Db } from "../../server/db";
import type { JobProgress } from "../../server/jobs/service";
import type { Logger } from "../../server/logger";
import type { StoragePaths } from "../../server/storage";

/** What a job's `prepare` may read: the database and the shared folders. */
export type PrepareDeps = {
  db: Db;
  paths: StoragePaths;
  /** "enqueue" on the server (before anything is queued), "worker" before each attempt. */
  where: "enqueue" | "worker";
};

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

/** One job kind, shared by the sender (payload schema, prepare) and the worker (handler). */
export type JobDefinition<TSchema extends z.ZodType = z.ZodType, TResult = unknown> = {
  name: string;
  payload: TSchema;
  /**
   * Checks what the payload refers to (snapshots, model versions) and pins defaults, so a job
   * that cannot run is refused before it is queued. Returns the payload to store.
   */
  prepare?: (payload: z.output<TSchema>, deps: PrepareDeps) => Promise<z.output<TSchema>>;
  /** Worst-case run time; the queue takes the job back after it. */
  expireInSeconds: number;
  /** Total tries, the first included. */
  maxAttempts: number;
  handler: (payload: z.output<TSchema>, ctx: JobContext) => Promise<TResult>;
};

export function defineJob<TSchema extends z.ZodType, TResult>(def: JobDefinition<TSchema, TResult>) {
  return def;
}

/** A failure another attempt cannot fix (bad input): the job fails at once instead of retrying. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}
