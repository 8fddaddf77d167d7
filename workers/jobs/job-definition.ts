import type { z } from "zod";
import type { Db } from "../../server/db";
import type { Logger } from "../../server/logger";

export type JobContext = {
  jobId: string;
  workerId: string;
  attempt: number;
  db: Db;
  log: Logger;
  /** Aborted when the worker stops or the job is cancelled; pass it to child processes. */
  signal: AbortSignal;
  /** Records liveness and, when given, progress in [0, 1]. */
  heartbeat: (progress?: number) => Promise<void>;
};

/** One job kind, shared by the sender (payload schema) and the worker (handler). */
export type JobDefinition<TSchema extends z.ZodType = z.ZodType, TResult = unknown> = {
  name: string;
  payload: TSchema;
  /** Worst-case run time; the queue takes the job back after it. */
  expireInSeconds: number;
  /** Total tries, the first included. */
  maxAttempts: number;
  handler: (payload: z.output<TSchema>, ctx: JobContext) => Promise<TResult>;
};

export function defineJob<TSchema extends z.ZodType, TResult>(def: JobDefinition<TSchema, TResult>) {
  return def;
}
