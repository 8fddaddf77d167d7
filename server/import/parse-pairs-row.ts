import { z } from "zod";
import { ZMessages } from "./conversation";
import {
  buildImportRecord,
  type ImportRecord,
  ZMargin,
  ZMeta,
  ZPrompt,
  ZResponseContent,
  ZSource,
} from "./import-record";
import { ImportRowError, parseRow } from "./import-row-error";

// TRL's conversational layout puts only the continuation in chosen/rejected; its standard layout
// uses plain strings. Several assistant messages would be a multi-turn answer, which a single
// response cannot hold, so that is rejected rather than silently concatenated.
const ZCompletion = z.union([ZResponseContent, ZMessages]);

export const ZPairsRow = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  prompt: ZPrompt,
  chosen: ZCompletion,
  rejected: ZCompletion,
  margin: ZMargin.nullish(),
  safety: z.record(z.string(), z.unknown(), { error: "expected an object" }).optional(),
  source: ZSource,
  meta: ZMeta,
});

function completionText(completion: z.output<typeof ZCompletion>, name: string): string {
  if (typeof completion === "string") return completion;
  const [only] = completion;
  if (completion.length !== 1 || only?.role !== "assistant") {
    throw new ImportRowError(`${name}: expected exactly one assistant message`);
  }
  return only.content;
}

/** Layout "pairs" (TRL preference): chosen is preferred over rejected. */
export function parsePairsRow(value: unknown): ImportRecord {
  const row = parseRow(ZPairsRow, value);
  const meta: Record<string, unknown> = { ...row.meta };
  if (row.id !== undefined) meta.id = row.id;
  if (row.safety !== undefined) meta.safety = row.safety;
  return buildImportRecord(
    {
      prompt: row.prompt,
      responses: [
        { content: completionText(row.chosen, "chosen"), model: null },
        { content: completionText(row.rejected, "rejected"), model: null },
      ],
      source: row.source,
      meta,
      preference: { order: [0, 1], margin: row.margin ?? null },
    },
    ["chosen", "rejected"],
  );
}
