// `pairs`: TRL's conversational preference layout, one record per preference pair.
import { z } from "zod";
import type { ExportJudgement } from "../types";
import { assistant, contentOf, fileMeta, fromFile, messagesOf, provenance, safetyOf, ZAssistantTurn, ZMessages, ZMeta } from "./common";
import { pairsOf } from "./pairs-of";

export const ZPairsRecord = z.object({
  id: z.union([z.string(), z.number()]),
  prompt: ZMessages,
  chosen: ZAssistantTurn,
  rejected: ZAssistantTurn,
  margin: z.number().min(0).max(1),
  /** Left out when there are no safety labels, as in the pairs files it reads back. */
  safety: z.record(z.string(), z.unknown()).optional(),
  source: z.enum(["production", "red_team", "model_generated", "imported"]),
  meta: ZMeta,
});
export type PairsRecord = z.infer<typeof ZPairsRecord>;

/**
 * A judgement that came from a preference file exports as that file's record (its id, margin,
 * safety and meta), so import → export gives the same records; every other record carries its
 * provenance under meta.export.
 */
export function pairsRecords(j: ExportJudgement): PairsRecord[] {
  const pairs = pairsOf(j);
  const fileId = j.task.meta.id;
  return pairs.map((p) => {
    const safety = safetyOf(j, [p.chosen, p.rejected]);
    return {
      id: pairs.length === 1 && (typeof fileId === "string" || typeof fileId === "number") ? fileId : `${j.id}:${p.chosen}:${p.rejected}`,
      prompt: messagesOf(j.task.prompt),
      chosen: assistant(contentOf(j, p.chosen)),
      rejected: assistant(contentOf(j, p.rejected)),
      margin: p.margin,
      ...(Object.keys(safety).length ? { safety } : {}),
      source: j.task.source,
      meta: fromFile(j) ? fileMeta(j) : { ...fileMeta(j), export: { ...provenance(j), chosenId: p.chosen, rejectedId: p.rejected, strength: p.strength } },
    };
  });
}
