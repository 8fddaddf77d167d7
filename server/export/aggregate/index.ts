// Turns a task's annotations into the judgements an export writes: one per annotation (raw) or
// one merged across annotators (majority, bradley-terry, gold-weighted).
import { pairwisePreferenceAgreement } from "../../quality/agreement";
import type { Aggregate, ExportAnnotation, ExportJudgement, ExportTask } from "../types";
import { ranksOf, type MergedJudgement } from "./ballots";
import { mergeBradleyTerry } from "./bradley-terry";
import { mergeGoldWeighted } from "./gold-weighted";
import { mergeMajority } from "./majority";

export type ToJudgementsOptions = {
  /** Annotator id → accuracy on gold tasks in [0, 1]; used by "gold-weighted" only. */
  goldAccuracy?: ReadonlyMap<string, number>;
};

/**
 * raw: one judgement per annotation, in the task's order. Merges: one judgement for the task, or
 * none when no annotation counts (a task without annotations, or gold-weighted with every
 * annotator at weight 0): a record nobody judged would only add noise to training data.
 */
export function toJudgements(task: ExportTask, aggregate: Aggregate, opts: ToJudgementsOptions = {}): ExportJudgement[] {
  const { annotations, ...taskOnly } = task;
  switch (aggregate) {
    case "raw":
      return annotations.map((a) => rawJudgement(taskOnly, a));
    case "majority":
      return merged(taskOnly, aggregate, mergeMajority(task));
    case "bradley-terry":
      return merged(taskOnly, aggregate, mergeBradleyTerry(task));
    case "gold-weighted":
      return merged(taskOnly, aggregate, mergeGoldWeighted(task, opts.goldAccuracy));
  }
}

function rawJudgement(task: Omit<ExportTask, "annotations">, a: ExportAnnotation): ExportJudgement {
  return {
    id: a.id,
    task,
    ranking: a.ranking,
    strengths: a.strengths,
    margins: a.margins,
    promptPolicy: a.promptPolicy,
    harmCategory: a.harmCategory,
    rubric: a.rubric,
    feedback: a.feedback,
    annotation: {
      annotatorId: a.annotatorId,
      origin: a.origin,
      shownOrder: a.shownOrder,
      timeSpentMs: a.timeSpentMs,
      guidelinesVersion: a.guidelinesVersion,
      reviewState: a.reviewState,
      createdAt: a.createdAt,
    },
    merge: null,
  };
}

/** Agreement of the annotations that counted in the merge (unweighted), per
 *  server/quality/agreement.ts: null with fewer than two. */
export function mergeAgreement(counted: readonly Pick<ExportAnnotation, "ranking">[]): number | null {
  if (counted.length < 2) return null;
  return pairwisePreferenceAgreement(counted.map(ranksOf)).agreement;
}

function merged(
  task: Omit<ExportTask, "annotations">,
  method: Exclude<Aggregate, "raw">,
  result: MergedJudgement | null,
): ExportJudgement[] {
  if (!result) return [];
  const { counted, ...labels } = result;
  return [
    {
      id: task.taskId,
      task,
      ...labels,
      annotation: null,
      merge: { method, annotations: counted.length, agreement: mergeAgreement(counted) },
    },
  ];
}
