import { z } from "zod";

export const taskOrders = ["imported", "uncertainty"] as const;

export const ZSetTaskOrderInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
  order: z.enum(taskOrders, "order is imported or uncertainty"),
});
export type TSetTaskOrderInput = z.infer<typeof ZSetTaskOrderInput>;

export const ZLatestAcquisitionInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
  /** How many of the run's tasks of highest disagreement to list. */
  limit: z.int().min(1).max(200).default(20),
});
