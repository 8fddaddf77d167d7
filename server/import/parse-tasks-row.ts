import { z } from "zod";
import {
  buildImportRecord,
  type ImportRecord,
  maxResponses,
  minResponses,
  ZMeta,
  ZPrompt,
  ZResponseContent,
  ZSource,
} from "./import-record";
import { parseRow } from "./import-row-error";

export const ZTasksResponse = z.union([
  ZResponseContent.transform((content) => ({ content, model: null })),
  z.object({ content: ZResponseContent, model: z.string().nullish().transform((m) => m ?? null) }),
]);

const countMessage = `expected ${minResponses} to ${maxResponses} items`;

// The count is checked here too so an oversized array fails before its items are reported on.
export const ZTasksRow = z.object({
  prompt: ZPrompt,
  responses: z.array(ZTasksResponse).min(minResponses, countMessage).max(maxResponses, countMessage),
  source: ZSource,
  meta: ZMeta,
});

/** Layout "tasks": a prompt with 2 to 16 candidate responses to be judged, no judgement yet. */
export function parseTasksRow(value: unknown): ImportRecord {
  const row = parseRow(ZTasksRow, value);
  return buildImportRecord({ ...row, preference: null, feedback: null });
}
