// Turns a draft into the submit payload and lists what is still missing, in the annotator's terms
// (response letters, rank numbers) rather than the server's response ids.
import { rankingFromVerdict, type Ranking } from "../../../server/annotation/ranking";
import { validateSubmission, type SubmissionLabels } from "../../../server/annotation/submission";
import { strengthsFor } from "./ranking-state";
import type { AssignmentView } from "./types";
import type { Draft } from "./use-draft";

export type SubmitLabels = Omit<SubmissionLabels, "ranking"> & {
  ranking?: Ranking;
  verdict?: "a_better" | "b_better" | "tie" | "both_bad";
};

const letterList = (letters: string[]) =>
  letters.length <= 1 ? letters.join("") : `${letters.slice(0, -1).join(", ")} and ${letters[letters.length - 1]}`;

/** Replaces response ids in a server message with the letters the annotator sees. */
export function withLetters(message: string, task: AssignmentView): string {
  return task.responses.reduce((m, r) => m.split(r.id).join(r.label), message);
}

export function buildLabels(draft: Draft, task: AssignmentView): SubmitLabels {
  const allowed = draft.promptPolicy === "allowed";
  const flags = Object.fromEntries(Object.entries(draft.flags).filter(([, list]) => list.length > 0));
  const common = {
    promptPolicy: draft.promptPolicy ?? "allowed",
    harmCategory: allowed ? null : draft.harmCategory,
    rubric: draft.rubric,
    flags,
    rationale: draft.rationale.trim() ? draft.rationale.trim() : null,
  };
  if (task.project.mode === "pairwise") return { ...common, verdict: draft.verdict ?? undefined };
  const strengths = strengthsFor(draft.groups, draft.strengths).map((s) => s ?? task.project.defaultStrength ?? "clear");
  return { ...common, ranking: { groups: draft.groups, strengths } };
}

export function draftProblems(draft: Draft, task: AssignmentView): string[] {
  const problems: string[] = [];
  const pairwise = task.project.mode === "pairwise";
  if (pairwise) {
    if (!draft.verdict) problems.push("Choose a verdict: A better, B better, tie or both bad");
  } else {
    const placed = new Set(draft.groups.flat());
    const unranked = task.responses.filter((r) => !placed.has(r.id)).map((r) => r.label);
    if (unranked.length) problems.push(`Rank response${unranked.length > 1 ? "s" : ""} ${letterList(unranked)}`);
    // A project with a default strength does not ask for one at every boundary.
    if (!task.project.defaultStrength) {
      strengthsFor(draft.groups, draft.strengths).forEach((s, i) => {
        if (!s) problems.push(`Choose how strongly rank ${i + 1} beats rank ${i + 2}`);
      });
    }
  }
  if (!draft.promptPolicy) problems.push("Choose the prompt policy");
  else if (draft.promptPolicy !== "allowed") {
    if (!draft.harmCategory) problems.push("Choose a harm category");
    const ungraded = task.responses.filter((r) => !draft.rubric[r.id]).map((r) => r.label);
    if (ungraded.length) problems.push(`Grade the safety rubric for ${letterList(ungraded)}`);
  }
  if (problems.length) return problems;

  // The friendly checks above cover the usual gaps; the server's own rules are the final word.
  const labels = buildLabels(draft, task);
  const ranking =
    pairwise && labels.verdict
      ? rankingFromVerdict(task.responses[0]!.id, task.responses[1]!.id, labels.verdict, "clear")
      : labels.ranking!;
  const check = validateSubmission(
    { ...labels, ranking },
    {
      responseIds: task.responses.map((r) => r.id),
      tiesAllowed: task.project.tiesAllowed || pairwise,
      harmTaxonomy: task.project.harmTaxonomy,
    },
  );
  return check.ok ? [] : check.errors.map((e) => withLetters(e, task)).map((e) => e.charAt(0).toUpperCase() + e.slice(1));
}
