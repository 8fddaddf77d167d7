import { z } from "zod";
import { evaluateJob } from "../../workers/jobs/evaluate";
import { generateJob } from "../../workers/jobs/generate";
import { ppoJob } from "../../workers/jobs/ppo";
import { trainRewardJob } from "../../workers/jobs/train-reward";
import { trainSafetyJob } from "../../workers/jobs/train-safety";
import { trainSftJob } from "../../workers/jobs/train-sft";

/**
 * A run to start: the job kind and its payload, checked with that kind's own schema (field by
 * field, so forms can show errors); `enqueue` then checks that the inputs exist and fit.
 */
export const ZStartRunInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("train_reward"), payload: trainRewardJob.payload }),
  z.object({ kind: z.literal("train_safety"), payload: trainSafetyJob.payload }),
  z.object({ kind: z.literal("train_sft"), payload: trainSftJob.payload }),
  z.object({ kind: z.literal("ppo"), payload: ppoJob.payload }),
  z.object({ kind: z.literal("generate"), payload: generateJob.payload }),
  z.object({ kind: z.literal("evaluate"), payload: evaluateJob.payload }),
]);
export type TStartRunInput = z.infer<typeof ZStartRunInput>;

export const ZRunMetricsInput = z.object({
  jobId: z.uuid("jobId must be a UUID"),
  names: z.array(z.string().min(1)).max(50).optional(),
  /** Only points after this step (for polling a live run). */
  afterStep: z.int().min(0).optional(),
});

export const ZListRunsInput = z.object({ limit: z.int().min(1).max(200).default(50) });
export type TListRunsInput = z.infer<typeof ZListRunsInput>;

export const ZRunIdInput = z.object({ jobId: z.uuid("jobId must be a UUID") });
