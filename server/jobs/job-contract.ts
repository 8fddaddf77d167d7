import type { z } from "zod";
import type { Db } from "../db";
import type { StoragePaths } from "../storage";

/** What a job's `prepare` may read: the database and the shared folders. */
export type PrepareDeps = {
  db: Db;
  paths: StoragePaths;
  /** "enqueue" on the server (before anything is queued), "worker" before each attempt. */
  where: "enqueue" | "worker";
};

/**
 * What the sender (`enqueue`) and the worker agree on for one job kind. The worker's handler is
 * not part of it: it lives in workers/jobs/, which the web app never loads.
 */
export type JobContract<TSchema extends z.ZodType = z.ZodType> = {
  name: string;
  payload: TSchema;
  /**
   * Checks what the payload refers to (snapshots, model versions) and pins defaults, so a job
   * that cannot run is refused before it is queued. Returns the payload to store. (A method, so
   * that every kind's contract is a `JobContract` whatever its payload.)
   */
  prepare?(payload: z.output<TSchema>, deps: PrepareDeps): Promise<z.output<TSchema>>;
  /** Worst-case run time; the queue takes the job back after it. */
  expireInSeconds: number;
  /** Total tries, the first included. */
  maxAttempts: number;
};

export function defineJobContract<TSchema extends z.ZodType>(contract: JobContract<TSchema>) {
  return contract;
}
