// The safety labels (and imported thumbs label) of a merged judgement: each one a weighted plurality
// over the annotations that gave it. Ties are broken by a fixed order, never by annotation order, so a merge does not
// depend on which annotator happened to submit first.
import { promptPolicies, rubricGrades, type PromptPolicy, type RubricGrade } from "../../annotation/submission";
import type { ExportAnnotation, Feedback } from "../types";
import { weightEpsilon, type Ballot } from "./ballots";

export type MergedLabels = Pick<ExportAnnotation, "promptPolicy" | "harmCategory" | "rubric" | "feedback">;

/**
 * The value with the most weight; values within weightEpsilon of the most are tied and the one
 * `preferred` sorts first wins. Null when nobody voted.
 */
export function weightedPlurality<T extends string>(votes: readonly { value: T; weight: number }[], preferred: (a: T, b: T) => number): T | null {
  const totals = new Map<T, number>();
  for (const { value, weight } of votes) totals.set(value, (totals.get(value) ?? 0) + weight);
  let best: { value: T; weight: number } | null = null;
  for (const [value, weight] of totals) {
    if (
      best === null ||
      weight > best.weight + weightEpsilon ||
      (Math.abs(weight - best.weight) <= weightEpsilon && preferred(value, best.value) < 0)
    ) {
      best = { value, weight };
    }
  }
  return best?.value ?? null;
}

// disallowed > sensitive > allowed: a tied vote errs on the side of caution.
const restrictiveFirst = (a: PromptPolicy, b: PromptPolicy) => promptPolicies.indexOf(b) - promptPolicies.indexOf(a);
const listedFirst = (a: RubricGrade, b: RubricGrade) => rubricGrades.indexOf(a) - rubricGrades.indexOf(b);
const alphabetical = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * - prompt policy: plurality of the annotations that gave one; a tie goes to the more restrictive
 *   policy (disallowed > sensitive > allowed).
 * - harm category: plurality of the annotations that gave one, ties to the alphabetically first;
 *   null when the merged policy is "allowed", as a submission requires.
 * - rubric: per response, plurality of the annotations that graded it; ties to the grade listed
 *   first in A, B, C, D order. Responses nobody graded are left out.
 * - feedback (thumbs up/down): plurality of the annotations that gave one; a tie is no label, since
 *   neither side may claim the response.
 */
export function mergeLabels(ballots: readonly Ballot[], responseIds: readonly string[]): MergedLabels {
  const promptPolicy = weightedPlurality(
    ballots.flatMap(({ annotation, weight }) => (annotation.promptPolicy ? [{ value: annotation.promptPolicy, weight }] : [])),
    restrictiveFirst,
  );
  const harmCategory =
    promptPolicy === "allowed"
      ? null
      : weightedPlurality(
          ballots.flatMap(({ annotation, weight }) => (annotation.harmCategory ? [{ value: annotation.harmCategory, weight }] : [])),
          alphabetical,
        );
  const rubric: MergedLabels["rubric"] = {};
  for (const id of responseIds) {
    const grade = weightedPlurality(
      ballots.flatMap(({ annotation, weight }) => (Object.hasOwn(annotation.rubric, id) ? [{ value: annotation.rubric[id]!, weight }] : [])),
      listedFirst,
    );
    if (grade) rubric[id] = grade;
  }
  return { promptPolicy, harmCategory, rubric, feedback: mergeFeedback(ballots) };
}

function mergeFeedback(ballots: readonly Ballot[]): Feedback | null {
  let up = 0;
  let down = 0;
  for (const { annotation, weight } of ballots) {
    if (annotation.feedback === "up") up += weight;
    else if (annotation.feedback === "down") down += weight;
  }
  if (Math.abs(up - down) <= weightEpsilon) return null;
  return up > down ? "up" : "down";
}
