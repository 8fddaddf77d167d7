import { buildImportRecord, completionText, type ImportRecord, metaWithFileFields, ZCompletion, ZMargin, ZTrlRow } from "./import-record";
import { parseRow } from "./import-row-error";

export const ZPairsRow = ZTrlRow.extend({
  chosen: ZCompletion,
  rejected: ZCompletion,
  margin: ZMargin.nullish(),
});

/** Layout "pairs" (TRL preference): chosen is preferred over rejected. */
export function parsePairsRow(value: unknown): ImportRecord {
  const row = parseRow(ZPairsRow, value);
  return buildImportRecord(
    {
      prompt: row.prompt,
      responses: [
        { content: completionText(row.chosen, "chosen"), model: null },
        { content: completionText(row.rejected, "rejected"), model: null },
      ],
      source: row.source,
      meta: metaWithFileFields(row),
      preference: { order: [0, 1], margin: row.margin ?? null },
      feedback: null,
    },
    ["chosen", "rejected"],
  );
}
