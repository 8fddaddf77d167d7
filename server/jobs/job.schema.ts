import { z } from "zod";

export const ZJobState = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);

export const ZListJobsInput = z.object({
  limit: z.number().int().min(1).max(200).default(50),
  state: ZJobState.optional(),
});

export const ZJobIdInput = z.object({ id: z.uuid("Job id must be a UUID") });

export const ZEnqueuePingInput = z.object({ message: z.string().max(200).optional() });
