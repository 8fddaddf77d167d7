import { z } from "zod";
import { trainRewardJob } from "../../workers/jobs/train-reward";

/** A training run to start: the job kind and its payload (validated field by field, so forms can show errors). */
export const ZStartRunInput = z.discriminatedUnion("kind", [z.object({ kind: z.literal("train_reward"), payload: trainRewardJob.payload })]);
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
