// Queues the automatic evaluations from the web app (after a promote, and the release gates'
// "Evaluate both"); the worker queues those after a training run itself.
import type { Db } from "../db";
import { openBoss, type BossSource } from "../queue";
import { enqueue } from "../jobs/service";
import { logger } from "../logger";
import type { StoragePaths } from "../storage";
import { autoEvaluations } from "./auto-evaluate";

/** The queue is opened only when there is an evaluation to send. */
type Deps = { db: Db; boss: BossSource; paths?: StoragePaths };

type QueueOptions = { modelVersionId: string; baselineId?: string | null; projectId?: string };

/** The ids of the evaluate jobs queued; a failure is thrown (the release gates' "Evaluate both"). */
export async function queueEvaluations(deps: Deps, opts: QueueOptions, createdById: string | null): Promise<string[]> {
  const payloads = await autoEvaluations(deps.db, opts);
  if (!payloads.length) return [];
  const boss = await openBoss(deps.boss);
  const ids = [];
  for (const payload of payloads) ids.push((await enqueue({ ...deps, boss }, "evaluate", payload, { createdById: createdById ?? undefined })).id);
  return ids;
}

/** The ids of the evaluate jobs queued; a failure is logged and leaves the promote done. */
export async function queueAutoEvaluations(deps: Deps, opts: QueueOptions, createdById: string | null): Promise<string[]> {
  try {
    return await queueEvaluations(deps, opts, createdById);
  } catch (err) {
    logger.warn({ err, modelVersionId: opts.modelVersionId }, "could not queue the evaluations of a promoted policy");
    return [];
  }
}
