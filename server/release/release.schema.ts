import { z } from "zod";

export const minOverrideReason = 10;

/** Why an admin promotes past a gate that did not pass: written out, kept and shown on the model's page. */
export const ZOverrideReason = z
  .string({ error: "overrideReason must be text" })
  .trim()
  .min(minOverrideReason, `Give a reason of at least ${minOverrideReason} characters for overriding the release gates`)
  .max(2000, "The override reason is at most 2000 characters");

export const ZReleaseGatesInput = z.object({ modelVersionId: z.uuid("modelVersionId must be a UUID"), projectId: z.uuid("projectId must be a UUID") });
export type TReleaseGatesInput = z.infer<typeof ZReleaseGatesInput>;
