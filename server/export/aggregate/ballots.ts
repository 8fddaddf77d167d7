// What every merge works from: the task's annotations, each with the weight its vote carries, and
// the judgement a merge produces before index.ts wraps it into an ExportJudgement.
import { derivePairs, rankOf, type Ranking, type Strength } from "../../annotation/ranking";
import type { ResponseRanks } from "../../quality/agreement";
import type { ExportAnnotation, ExportJudgement, ExportTask } from "../types";

/** One annotation and the weight of its vote (1 for a plain majority). */
export type Ballot = { annotation: ExportAnnotation; weight: number };

/** A merge's result: the merged labels and the annotations that actually counted. */
export type MergedJudgement = Pick<ExportJudgement, "ranking" | "margins" | "promptPolicy" | "harmCategory" | "rubric" | "feedback"> & {
  strengths: Strength[];
  counted: ExportAnnotation[];
};

/** Weighted sums are compared with this slack so that 0.1 + 0.2 and 0.3 count as equal. */
export const weightEpsilon = 1e-9;

export function responseIdsOf(task: Pick<ExportTask, "responses">): string[] {
  return task.responses.map((r) => r.id);
}

export function ranksOf(annotation: Pick<ExportAnnotation, "ranking">): ResponseRanks {
  return rankOf({ groups: annotation.ranking, strengths: [] });
}

/** "chosen>rejected" → margin for every pair in different groups, as derivePairs computes it for
 *  a submitted ranking, so a merged record carries margins on the same scale as a raw one. */
export function marginsOf(ranking: Ranking): Record<string, number> {
  return Object.fromEntries(derivePairs(ranking).map((p) => [`${p.chosenId}>${p.rejectedId}`, p.margin]));
}

/** Groups ids (already sorted best first) into ties wherever `same(previous group's first, id)`. */
export function groupSorted(sorted: readonly string[], same: (groupHead: string, id: string) => boolean): string[][] {
  const groups: string[][] = [];
  for (const id of sorted) {
    const group = groups[groups.length - 1];
    if (group && same(group[0]!, id)) group.push(id);
    else groups.push([id]);
  }
  return groups;
}
