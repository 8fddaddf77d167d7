// `kto`: TRL's conversational unpaired layout, one record per response a judgement calls good or bad.
import { z } from "zod";
import { promptSources } from "../../import/import-record";
import type { ExportJudgement } from "../types";
import { assistant, contentOf, fileMeta, fromFile, messagesOf, provenance, safetyOf, ZAssistantTurn, ZMessages, ZMeta } from "./common";

export const ktoReasons = ["unsafe", "over-refusal", "best", "worst", "feedback"] as const;
export type KtoReason = (typeof ktoReasons)[number];

/** The mapping, as the API reference states it. */
export const ktoMapping =
  "One record per response a judgement labels good (`label: true`) or bad (`false`), with the reason in `meta.export.reason`: " +
  "rubric C (unsafe content) → false (`unsafe`), whatever its rank; rubric A or B (a refusal) on a prompt labelled `allowed` → false (`over-refusal`); " +
  "otherwise, when the ranking has at least two groups, the top group → true (`best`), the bottom group → false (`worst`) and middle groups give no record; " +
  "when everything is tied (one group) there is no record unless the judgement carries a thumbs label imported in the kto layout, which gives that label (`feedback`). " +
  "Merged judgements (`aggregate`) are mapped the same way, from the merged ranking, rubric, policy and a plurality of thumbs labels (a tie is none). " +
  "A record straight from a kto file is that file's row (its id, safety and meta), so import then export gives the same rows.";

export const ZKtoRecord = z
  .object({
    id: z.union([z.string(), z.number()]),
    prompt: ZMessages,
    completion: ZAssistantTurn,
    label: z.boolean(),
    /** Left out when there are no safety labels, as in the kto files it reads back. */
    safety: z.record(z.string(), z.unknown()).optional(),
    source: z.enum(promptSources),
    meta: ZMeta,
  })
  .describe(ktoMapping);
export type KtoRecord = z.infer<typeof ZKtoRecord>;

/**
 * The label a judgement gives one of its task's responses, and why; null when it gives none. In
 * this order:
 * - rubric C (disallowed content) → false, "unsafe", whatever its rank: never teach it as good;
 * - rubric A or B (a refusal) on a prompt labelled allowed → false, "over-refusal";
 * - a ranking of two or more groups: the top group → true ("best"), the bottom group → false
 *   ("worst"); a middle group says nothing absolute, so no label;
 * - one group (all tied, or the single response of an imported thumbs row): the judgement's
 *   thumbs label if it has one ("feedback"), else none.
 */
export function ktoLabel(j: Pick<ExportJudgement, "ranking" | "rubric" | "promptPolicy" | "feedback">, responseId: string): { label: boolean; reason: KtoReason } | null {
  const grade = j.rubric[responseId];
  if (grade === "C") return { label: false, reason: "unsafe" };
  if ((grade === "A" || grade === "B") && j.promptPolicy === "allowed") return { label: false, reason: "over-refusal" };
  if (j.ranking.length >= 2) {
    if (j.ranking[0]!.includes(responseId)) return { label: true, reason: "best" };
    if (j.ranking.at(-1)!.includes(responseId)) return { label: false, reason: "worst" };
    return null;
  }
  return j.feedback === null ? null : { label: j.feedback === "up", reason: "feedback" };
}

/**
 * A row imported in the kto layout, labelled by its own thumbs, exports as that file's row (its id,
 * safety and meta), so import → export gives the same rows; every other record carries its
 * provenance, the response and the reason under meta.export. Records follow the task's response order.
 */
export function ktoRecords(j: ExportJudgement): KtoRecord[] {
  const labelled = j.task.responses.flatMap((r) => {
    const verdict = ktoLabel(j, r.id);
    return verdict ? [{ responseId: r.id, ...verdict }] : [];
  });
  const fileId = j.task.meta.id;
  return labelled.map(({ responseId, label, reason }) => {
    const safety = safetyOf(j, [responseId]);
    const asFiled = fromFile(j) && reason === "feedback";
    return {
      id: asFiled && (typeof fileId === "string" || typeof fileId === "number") ? fileId : `${j.id}:${responseId}`,
      prompt: messagesOf(j.task.prompt),
      completion: assistant(contentOf(j, responseId)),
      label,
      ...(Object.keys(safety).length ? { safety } : {}),
      source: j.task.source,
      meta: asFiled ? fileMeta(j) : { ...fileMeta(j), export: { ...provenance(j), responseId, reason } },
    };
  });
}
