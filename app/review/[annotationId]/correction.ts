// A reviewer's correction in progress and how it becomes the review.correct payload, with the
// problems listed in the page's letters (like the labelling screen's check-draft.ts).
import { isStrength, rankingFromVerdict, type PairwiseVerdict, type Strength } from "../../../server/annotation/ranking";
import { promptPolicies, qualityFlags, rubricGrades, validateSubmission, type PromptPolicy, type QualityFlag, type RubricGrade } from "../../../server/annotation/submission";
import type { TCorrectInput } from "../../../server/review/review.schema";
import { boundaryKey, strengthsFor, type Groups } from "../../label/[projectId]/ranking-state";
import type { ReviewItem } from "../types";

export type Correction = {
  groups: Groups;
  /** By boundaryKey, as on the labelling screen: moving a response asks again for the steps it changed. */
  strengths: Record<string, Strength>;
  verdict: PairwiseVerdict | null;
  promptPolicy: PromptPolicy;
  harmCategory: string | null;
  rubric: Record<string, RubricGrade>;
  flags: Record<string, QualityFlag[]>;
  note: string;
};

const isOneOf = <T extends string>(values: readonly T[], v: unknown): v is T => typeof v === "string" && (values as readonly string[]).includes(v);

/** Starts from what the annotator submitted. */
export function correctionFrom(item: ReviewItem): Correction {
  const { ranking, verdict, promptPolicy, harmCategory, rubric, flags } = item.labels;
  const strengths: Record<string, Strength> = {};
  ranking.groups.forEach((g, i) => {
    const next = ranking.groups[i + 1];
    const s = ranking.strengths[i];
    if (next && isStrength(s)) strengths[boundaryKey(g, next)] = s;
  });
  return {
    groups: ranking.groups.map((g) => [...g]),
    strengths,
    verdict: isOneOf(["a_better", "b_better", "tie", "both_bad"] as const, verdict) ? verdict : null,
    promptPolicy: isOneOf(promptPolicies, promptPolicy) ? promptPolicy : "allowed",
    harmCategory,
    rubric: Object.fromEntries(Object.entries(rubric).filter((e): e is [string, RubricGrade] => isOneOf(rubricGrades, e[1]))),
    flags: Object.fromEntries(Object.entries(flags).map(([id, list]) => [id, list.filter((f): f is QualityFlag => isOneOf(qualityFlags, f))])),
    note: "",
  };
}

export function correctInput(item: ReviewItem, c: Correction): TCorrectInput {
  const allowed = c.promptPolicy === "allowed";
  const labels = {
    promptPolicy: c.promptPolicy,
    harmCategory: allowed ? null : c.harmCategory,
    rubric: c.rubric,
    flags: Object.fromEntries(Object.entries(c.flags).filter(([, list]) => list.length > 0)),
    rationale: item.labels.rationale,
  };
  const note = c.note.trim() || null;
  if (item.project.mode === "pairwise") {
    // The verdict decides the order; the stored strength of the one step is kept.
    return { annotationId: item.id, note, labels: { ...labels, verdict: c.verdict, ranking: { groups: item.labels.ranking.groups, strengths: item.labels.ranking.strengths } } };
  }
  const strengths = strengthsFor(c.groups, c.strengths).map((s) => s ?? "clear");
  return { annotationId: item.id, note, labels: { ...labels, ranking: { groups: c.groups, strengths } } };
}

const letterList = (letters: string[]) =>
  letters.length <= 1 ? letters.join("") : `${letters.slice(0, -1).join(", ")} and ${letters[letters.length - 1]}`;

export function withLetters(message: string, item: ReviewItem): string {
  return item.responses.reduce((m, r) => m.split(r.id).join(r.label), message);
}

/** What still stops the correction from being saved, in the reviewer's terms. */
export function correctionProblems(item: ReviewItem, c: Correction): string[] {
  const problems: string[] = [];
  const pairwise = item.project.mode === "pairwise";
  if (pairwise) {
    if (!c.verdict) problems.push("Choose a verdict");
  } else {
    const placed = new Set(c.groups.flat());
    const unranked = item.responses.filter((r) => !placed.has(r.id)).map((r) => r.label);
    if (unranked.length) problems.push(`Rank response${unranked.length > 1 ? "s" : ""} ${letterList(unranked)}`);
    strengthsFor(c.groups, c.strengths).forEach((s, i) => {
      if (!s) problems.push(`Choose how strongly rank ${i + 1} beats rank ${i + 2}`);
    });
  }
  if (c.promptPolicy !== "allowed") {
    if (!c.harmCategory) problems.push("Choose a harm category");
    const ungraded = item.responses.filter((r) => !c.rubric[r.id]).map((r) => r.label);
    if (ungraded.length) problems.push(`Grade the safety rubric for ${letterList(ungraded)}`);
  }
  if (problems.length) return problems;

  const input = correctInput(item, c);
  const ids = item.responses.map((r) => r.id);
  const ranking =
    pairwise && input.labels.verdict ? rankingFromVerdict(ids[0]!, ids[1]!, input.labels.verdict, "clear") : input.labels.ranking!;
  const check = validateSubmission(
    {
      ranking,
      promptPolicy: c.promptPolicy,
      harmCategory: input.labels.harmCategory ?? null,
      rubric: c.rubric,
      flags: c.flags,
      rationale: item.labels.rationale,
    },
    { responseIds: ids, tiesAllowed: item.project.tiesAllowed || pairwise, harmTaxonomy: item.project.harmTaxonomy },
  );
  return check.ok ? [] : check.errors.map((e) => withLetters(e, item)).map((e) => e.charAt(0).toUpperCase() + e.slice(1));
}
