import { z } from "zod";
import { ZOverrideReason, ZReleaseGatesInput } from "../release/release.schema";

export const ZPromoteModelInput = ZReleaseGatesInput.extend({ overrideReason: ZOverrideReason.optional() });
export type TPromoteModelInput = z.infer<typeof ZPromoteModelInput>;

export const ZModelVersionIdInput = z.object({ modelVersionId: z.uuid() });
