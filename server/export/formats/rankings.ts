// `rankings`: one record per judgement with all K responses and their ranks (ties share a rank).
import { z } from "zod";
import type { ExportJudgement } from "../types";
import { fileMeta, messagesOf, provenance, safetyOf, ZMessages, ZMeta } from "./common";
import { pairsOf } from "./pairs-of";

export const ZRankingsRecord = z.object({
  id: z.string(),
  prompt: ZMessages,
  responses: z
    .array(z.object({ id: z.string(), content: z.string(), model: z.string().nullable(), rank: z.number().int().min(0).nullable(), rubric: z.enum(["A", "B", "C", "D"]).nullable() }))
    .min(2),
  /** Preference strength between neighbouring rank groups. */
  strengths: z.array(z.string()),
  /** The judgement's preference pairs (response ids, better first) with their margins and
   *  strengths, as the pairs formats write them, so a reader need not derive them again. */
  pairs: z.array(z.object({ chosen: z.string(), rejected: z.string(), margin: z.number(), strength: z.string() })),
  safety: z.record(z.string(), z.unknown()),
  source: z.enum(["production", "red_team", "model_generated", "imported"]),
  meta: ZMeta,
});
export type RankingsRecord = z.infer<typeof ZRankingsRecord>;

/** None for a task with a single response (an imported thumbs row): it has nothing to rank. */
export function rankingsRecords(j: ExportJudgement): RankingsRecord[] {
  if (j.task.responses.length < 2) return [];
  const rank = new Map(j.ranking.flatMap((group, i) => group.map((id) => [id, i] as const)));
  const ids = j.task.responses.map((r) => r.id);
  return [
    {
      id: j.id,
      prompt: messagesOf(j.task.prompt),
      responses: j.task.responses.map((r) => ({ id: r.id, content: r.content, model: r.model, rank: rank.get(r.id) ?? null, rubric: j.rubric[r.id] ?? null })),
      // One per step between groups. Imported judgements are stored without strengths; their
      // steps are named "imported", as in pairs' meta.export.strength.
      strengths: j.ranking.slice(1).map((_, i) => j.strengths[i] ?? "imported"),
      pairs: pairsOf(j).map((p) => ({ chosen: p.chosen, rejected: p.rejected, margin: p.margin, strength: p.strength })),
      safety: safetyOf(j, ids),
      source: j.task.source,
      meta: { ...fileMeta(j), export: provenance(j) },
    },
  ];
}
