import { z } from "zod";
import { jsonlLayouts } from "./read-jsonl";

export const layoutError = `layout must be one of ${jsonlLayouts.join(", ")}`;
export const ZLayout = z.enum(jsonlLayouts, { error: layoutError });

export const ZImportTextInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
  layout: ZLayout.default("tasks"),
  strict: z.boolean().default(false),
  filename: z.string().max(255).nullable().default(null),
  /** Small files from the console; large files go to the streaming REST endpoint. */
  text: z.string().min(1, "The file is empty").max(5_000_000, "Files over 5 MB: use the streaming upload endpoint"),
});

export const ZListImportsInput = z.object({ projectId: z.uuid("projectId must be a UUID") });
