// Gold-weighted merge: the majority merge with each vote weighted by its annotator's accuracy on
// gold tasks (goldAccuracy in server/quality/report.ts), so a reliable annotator can outvote two
// careless ones.
import type { ExportAnnotation, ExportTask } from "../types";
import type { MergedJudgement } from "./ballots";
import { mergeByVote } from "./majority";

/** Weight of an annotator with no gold data (and of imported annotations, which have no
 *  annotator): a coin-flip's accuracy, so they count but below anyone who proved better. */
export const neutralGoldWeight = 0.5;

/** Gold accuracy clamped to [0, 1]; missing or not a number → neutralGoldWeight. Weight 0 means
 *  the annotator's votes are left out of the merge. */
export function goldWeight(annotatorId: ExportAnnotation["annotatorId"], goldAccuracy: ReadonlyMap<string, number> | undefined): number {
  const accuracy = annotatorId === null ? undefined : goldAccuracy?.get(annotatorId);
  if (accuracy === undefined || Number.isNaN(accuracy)) return neutralGoldWeight;
  return Math.min(1, Math.max(0, accuracy));
}

export function mergeGoldWeighted(
  task: Pick<ExportTask, "responses" | "annotations">,
  goldAccuracy: ReadonlyMap<string, number> | undefined,
): MergedJudgement | null {
  return mergeByVote(
    task,
    task.annotations.map((annotation) => ({ annotation, weight: goldWeight(annotation.annotatorId, goldAccuracy) })),
  );
}
