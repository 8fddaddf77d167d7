import type PgBoss from "pg-boss";
import type { Db } from "../db";
import { enqueue } from "../jobs/service";
import type { StoragePaths } from "../storage";
import type { TStartRunInput } from "./run.schema";

/**
 * Starts a run of any trainer kind. The payload was checked with the kind's own schema; `enqueue`
 * checks that its snapshots and models exist and fit, so a run that cannot start is never queued.
 * (Kept out of service.ts: the worker imports that file, and run.schema.ts imports the job kinds.)
 */
export function startRun(deps: { db: Db; boss: PgBoss; paths?: StoragePaths }, input: TStartRunInput, options: { createdById?: string } = {}) {
  switch (input.kind) {
    case "train_reward":
      return enqueue(deps, input.kind, input.payload, options);
    case "train_safety":
      return enqueue(deps, input.kind, input.payload, options);
    case "train_sft":
      return enqueue(deps, input.kind, input.payload, options);
    case "ppo":
      return enqueue(deps, input.kind, input.payload, options);
    case "generate":
      return enqueue(deps, input.kind, input.payload, options);
    case "evaluate":
      return enqueue(deps, input.kind, input.payload, options);
  }
}
