import { z } from "zod";

export const ZPromoteModelInput = z.object({ modelVersionId: z.uuid(), projectId: z.uuid() });
export type TPromoteModelInput = z.infer<typeof ZPromoteModelInput>;

export const ZModelVersionIdInput = z.object({ modelVersionId: z.uuid() });
