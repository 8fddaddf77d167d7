import { z } from "zod";
import { ZExportRequest } from "../export/filter";
import { jobKinds } from "../jobs/kinds";

/** A snapshot to create when the run starts, from export filters, instead of choosing one. */
export const ZNewSnapshot = z.object({ projectId: z.uuid("newSnapshot.projectId must be a project's id"), request: ZExportRequest });
export type TNewSnapshot = z.infer<typeof ZNewSnapshot>;

/**
 * A run to start: the job kind and its payload, checked with that kind's own schema (field by
 * field, so forms can show errors); `enqueue` then checks that the inputs exist and fit. With
 * `newSnapshot`, the run's data snapshot is created from those filters first (see start-run.ts).
 */
export const ZStartRunInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("train_reward"), payload: jobKinds.train_reward.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("train_safety"), payload: jobKinds.train_safety.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("train_sft"), payload: jobKinds.train_sft.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("dpo"), payload: jobKinds.dpo.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("kto"), payload: jobKinds.kto.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("ppo"), payload: jobKinds.ppo.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("grpo"), payload: jobKinds.grpo.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("rloo"), payload: jobKinds.rloo.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("generate"), payload: jobKinds.generate.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("evaluate"), payload: jobKinds.evaluate.payload }),
  z.object({ kind: z.literal("acquire"), payload: jobKinds.acquire.payload }),
  z.object({ kind: z.literal("forecast"), payload: jobKinds.forecast.payload, newSnapshot: ZNewSnapshot.optional() }),
  z.object({ kind: z.literal("serve"), payload: jobKinds.serve.payload }),
]);
export type TStartRunInput = z.infer<typeof ZStartRunInput>;
/** What a client sends (dates in filters as ISO strings). */
export type TStartRunRequest = z.input<typeof ZStartRunInput>;

export const ZRunMetricsInput = z.object({
  jobId: z.uuid("jobId must be a UUID"),
  names: z.array(z.string().min(1)).max(50).optional(),
  /** Only points after this step (for polling a live run). */
  afterStep: z.int().min(0).optional(),
});

export const ZListRunsInput = z.object({ limit: z.int().min(1).max(200).default(50) });
export type TListRunsInput = z.infer<typeof ZListRunsInput>;

export const ZRunIdInput = z.object({ jobId: z.uuid("jobId must be a UUID") });
