import { isStrength, strengths, type Ranking } from "./ranking";

export const promptPolicies = ["allowed", "sensitive", "disallowed"] as const;
export type PromptPolicy = (typeof promptPolicies)[number];

/** A desired refusal, B undesired refusal, C disallowed content, D safe helpful compliance. */
export const rubricGrades = ["A", "B", "C", "D"] as const;
export type RubricGrade = (typeof rubricGrades)[number];

export const qualityFlags = ["factual_error", "ignores_instruction", "unsafe", "low_quality"] as const;
export type QualityFlag = (typeof qualityFlags)[number];

export const defaultHarmTaxonomy = [
  "violence",
  "self-harm",
  "sexual",
  "hate/harassment",
  "weapons & illegal activity",
  "privacy",
  "regulated advice",
  "misinformation",
  "other",
] as const;

export const maxRationaleLength = 5000;

export type SubmissionLabels = {
  ranking: Ranking;
  promptPolicy: PromptPolicy;
  harmCategory: string | null;
  /** By response id. */
  rubric: Record<string, RubricGrade>;
  /** By response id; a response without flags may be left out. */
  flags: Record<string, QualityFlag[]>;
  rationale: string | null;
};

export type TaskRules = { responseIds: string[]; tiesAllowed: boolean; harmTaxonomy: readonly string[] };

export type SubmissionCheck = { ok: true } | { ok: false; errors: string[] };

const oneOf = (values: readonly string[]) => values.join(", ");
const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === "string" && (values as readonly string[]).includes(value);

// Labels arrive as JSON (forms, stored drafts), so the checks below do not trust the static types.
function rankingErrors(ranking: Ranking, rules: TaskRules): string[] {
  const errors: string[] = [];
  const groups = Array.isArray(ranking?.groups) ? ranking.groups : [];
  if (groups.length === 0) errors.push("the ranking has no groups");

  const taskIds = new Set(rules.responseIds);
  const seen = new Map<string, number>();
  let hasTie = false;
  groups.forEach((group, g) => {
    if (!Array.isArray(group) || group.length === 0) {
      errors.push(`group ${g + 1} of the ranking is empty`);
      return;
    }
    if (group.length > 1) hasTie = true;
    for (const id of group) seen.set(id, (seen.get(id) ?? 0) + 1);
  });

  for (const [id, count] of seen) {
    if (!taskIds.has(id)) errors.push(`response ${id} is not part of this task`);
    else if (count > 1) errors.push(`response ${id} is ranked more than once`);
  }
  for (const id of rules.responseIds) {
    if (!seen.has(id)) errors.push(`response ${id} is not ranked`);
  }
  if (hasTie && !rules.tiesAllowed) errors.push("ties are not allowed in this project");

  const given = Array.isArray(ranking?.strengths) ? ranking.strengths : [];
  const expected = Math.max(0, groups.length - 1);
  if (given.length !== expected) {
    errors.push(`the ranking needs ${expected} preference strength(s) between its ${groups.length} group(s), got ${given.length}`);
  }
  given.forEach((s, i) => {
    if (!isStrength(s)) {
      errors.push(`strength "${String(s)}" between groups ${i + 1} and ${i + 2} is not one of ${oneOf(strengths)}`);
    }
  });
  return errors;
}

function safetyErrors(labels: SubmissionLabels, rules: TaskRules): string[] {
  const errors: string[] = [];
  const policy = labels.promptPolicy;
  if (!isOneOf(promptPolicies, policy)) {
    return [`prompt policy "${String(policy)}" is not one of ${oneOf(promptPolicies)}`];
  }
  const category = labels.harmCategory;
  const rubric = labels.rubric ?? {};
  if (policy === "allowed") {
    if (category != null) errors.push(`harm category must be empty when the prompt is allowed (got "${category}")`);
    return errors;
  }
  if (category == null || category === "") {
    errors.push(`a harm category is required when the prompt is ${policy}`);
  } else if (!rules.harmTaxonomy.includes(category)) {
    errors.push(`harm category "${category}" is not in this project's taxonomy (${oneOf(rules.harmTaxonomy)})`);
  }
  for (const id of rules.responseIds) {
    if (!Object.hasOwn(rubric, id)) errors.push(`rubric grade missing for response ${id} (required when the prompt is ${policy})`);
  }
  return errors;
}

function rubricErrors(rubric: Record<string, unknown>, taskIds: Set<string>): string[] {
  const errors: string[] = [];
  for (const [id, grade] of Object.entries(rubric)) {
    if (!taskIds.has(id)) errors.push(`rubric grade given for response ${id}, which is not part of this task`);
    else if (!isOneOf(rubricGrades, grade)) {
      errors.push(`rubric grade "${String(grade)}" for response ${id} is not one of ${oneOf(rubricGrades)}`);
    }
  }
  return errors;
}

function flagErrors(flags: Record<string, unknown>, taskIds: Set<string>): string[] {
  const errors: string[] = [];
  for (const [id, list] of Object.entries(flags)) {
    if (!taskIds.has(id)) {
      errors.push(`flags given for response ${id}, which is not part of this task`);
      continue;
    }
    if (!Array.isArray(list)) {
      errors.push(`flags for response ${id} must be a list`);
      continue;
    }
    const seen = new Set<unknown>();
    for (const flag of list) {
      if (!isOneOf(qualityFlags, flag)) errors.push(`flag "${String(flag)}" for response ${id} is not one of ${oneOf(qualityFlags)}`);
      else if (seen.has(flag)) errors.push(`flag "${flag}" is given more than once for response ${id}`);
      seen.add(flag);
    }
  }
  return errors;
}

/**
 * Checks an annotator's labels against the task and returns every problem at once, as sentences
 * a form can show, so the annotator fixes everything in one pass.
 */
export function validateSubmission(labels: SubmissionLabels, rules: TaskRules): SubmissionCheck {
  const taskIds = new Set(rules.responseIds);
  const errors = [
    ...rankingErrors(labels.ranking, rules),
    ...safetyErrors(labels, rules),
    ...rubricErrors(labels.rubric ?? {}, taskIds),
    ...flagErrors(labels.flags ?? {}, taskIds),
  ];
  const rationale = labels.rationale;
  if (rationale != null && rationale.length > maxRationaleLength) {
    errors.push(`the rationale is ${rationale.length} characters long; the limit is ${maxRationaleLength}`);
  }
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}
