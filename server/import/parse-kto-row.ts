import { z } from "zod";
import { buildImportRecord, completionText, type ImportRecord, metaWithFileFields, ZCompletion, ZTrlRow } from "./import-record";
import { parseRow } from "./import-row-error";

const labelHint = "true (thumbs up) or false (thumbs down)";

// TRL's unpaired layout names the label `label` and makes it a boolean; "up", 1 or "true" would be
// guesses about someone else's convention, so they are refused rather than read.
export const ZKtoRow = ZTrlRow.extend({
  completion: ZCompletion,
  label: z.boolean({ error: (issue) => (issue.input === undefined ? `missing: expected ${labelHint}` : `expected ${labelHint}`) }),
});

/**
 * Layout "kto" (TRL's unpaired layout, e.g. thumbs from a production chat log): one completion and
 * whether it was good. It becomes a task with that one response, never offered for ranking, and an
 * imported judgement carrying the thumbs label.
 */
export function parseKtoRow(value: unknown): ImportRecord {
  const row = parseRow(ZKtoRow, value);
  return buildImportRecord(
    {
      prompt: row.prompt,
      responses: [{ content: completionText(row.completion, "completion"), model: null }],
      source: row.source,
      meta: metaWithFileFields(row),
      preference: null,
      feedback: row.label ? "up" : "down",
    },
    ["completion"],
  );
}
