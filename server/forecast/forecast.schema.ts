import { z } from "zod";

export const ZLatestForecastInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
});
export type TLatestForecastInput = z.infer<typeof ZLatestForecastInput>;
