/**
 * Turn per-task labels into units for krippendorffAlpha (./krippendorff.ts): one value per
 * annotator, null where that annotator gave none. Which annotator is which does not matter to
 * alpha, so each unit lists the task's annotations in the order given.
 */
import type { ResponseRanks } from "./agreement";

/**
 * Ordinal units from rankings: one unit per (task, response), in task order and then response id
 * order. The value is the response's 0-based mid-rank in that annotator's ranking — responses
 * ranked strictly better plus half the others tied with it — so "last, after a tie" and "last"
 * are the same value (2 for three responses), as they would not be with group indices.
 */
export function rankingUnits(tasks: readonly (readonly ResponseRanks[])[]): (number | null)[][] {
  const units: (number | null)[][] = [];
  for (const rankings of tasks) {
    const positions = rankings.map(midRanks);
    for (const responseId of sortedIds(rankings.map((r) => r.keys()))) {
      units.push(positions.map((p) => p.get(responseId) ?? null));
    }
  }
  return units;
}

function midRanks(ranks: ResponseRanks): Map<string, number> {
  const all = [...ranks.values()];
  return new Map(
    [...ranks].map(([id, rank]) => {
      const better = all.filter((r) => r < rank).length;
      const tied = all.filter((r) => r === rank).length;
      return [id, better + (tied - 1) / 2];
    }),
  );
}

/** The safety labels of one annotation, as stored on Annotation. */
export type SafetyLabels = {
  promptPolicy?: string | null;
  /** Response id → rubric grade (A–D). */
  rubric?: Readonly<Record<string, string>> | null;
};

/** Nominal units for the prompt policy: one unit per task. */
export function promptPolicyUnits(tasks: readonly (readonly SafetyLabels[])[]): (string | null)[][] {
  return tasks.map((annotations) => annotations.map((a) => a.promptPolicy ?? null));
}

/** Nominal units for rubric grades: one unit per (task, response) that anyone graded, in task
 *  order and then response id order. */
export function rubricGradeUnits(tasks: readonly (readonly SafetyLabels[])[]): (string | null)[][] {
  const units: (string | null)[][] = [];
  for (const annotations of tasks) {
    for (const responseId of sortedIds(annotations.map((a) => Object.keys(a.rubric ?? {})))) {
      units.push(annotations.map((a) => (a.rubric && Object.hasOwn(a.rubric, responseId) ? a.rubric[responseId]! : null)));
    }
  }
  return units;
}

function sortedIds(idLists: Iterable<Iterable<string>>): string[] {
  const ids = new Set<string>();
  for (const list of idLists) for (const id of list) ids.add(id);
  return [...ids].sort();
}
