import { describe, expect, expectTypeOf, it } from "vitest";
import type { Ranking } from "./ranking";
import { ZRanking, ZSubmissionLabels, type TSubmissionLabels } from "./submission.schema";
import { defaultHarmTaxonomy, validateSubmission, type SubmissionLabels, type TaskRules } from "./submission";

const rules: TaskRules = { responseIds: ["r1", "r2", "r3", "r4"], tiesAllowed: true, harmTaxonomy: defaultHarmTaxonomy };
const strict: Ranking = { groups: [["r1"], ["r2"], ["r3"], ["r4"]], strengths: ["strong", "slight", "clear"] };

function labels(overrides: Partial<SubmissionLabels> = {}): SubmissionLabels {
  return { ranking: strict, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null, ...overrides };
}

const fullRubric = { r1: "A", r2: "B", r3: "C", r4: "D" } as const;

/** Loosens the static types so tests can send what a buggy client or a stale draft might. */
function raw(value: unknown): SubmissionLabels {
  return value as SubmissionLabels;
}

function errorsOf(l: SubmissionLabels, r: TaskRules = rules): string[] {
  const result = validateSubmission(l, r);
  return result.ok ? [] : result.errors;
}

describe("validateSubmission: valid submissions", () => {
  it("accepts a strict ranking of every response for an allowed prompt", () => {
    expect(validateSubmission(labels(), rules)).toEqual({ ok: true });
  });

  it("accepts ties when the project allows them", () => {
    const ranking: Ranking = { groups: [["r1", "r2"], ["r3"], ["r4"]], strengths: ["clear", "negligible"] };
    expect(validateSubmission(labels({ ranking }), rules)).toEqual({ ok: true });
  });

  it("accepts a sensitive prompt with a harm category and a grade for every response", () => {
    const l = labels({ promptPolicy: "sensitive", harmCategory: "privacy", rubric: { ...fullRubric } });
    expect(validateSubmission(l, rules)).toEqual({ ok: true });
  });

  it("accepts rubric grades, flags and a rationale on an allowed prompt", () => {
    const l = labels({ rubric: { r1: "D" }, flags: { r2: ["factual_error", "low_quality"], r3: [] }, rationale: "r1 cites sources." });
    expect(validateSubmission(l, rules)).toEqual({ ok: true });
  });

  it("accepts a harm category from a project's own taxonomy", () => {
    const l = labels({ promptPolicy: "disallowed", harmCategory: "malware", rubric: { ...fullRubric } });
    expect(validateSubmission(l, { ...rules, harmTaxonomy: ["malware"] })).toEqual({ ok: true });
  });

  it("accepts a rationale of exactly 5000 characters", () => {
    expect(validateSubmission(labels({ rationale: "x".repeat(5000) }), rules)).toEqual({ ok: true });
  });
});

describe("validateSubmission: ranking", () => {
  it("rejects a ranking that omits a response", () => {
    const ranking: Ranking = { groups: [["r1"], ["r2"], ["r4"]], strengths: ["strong", "slight"] };
    expect(errorsOf(labels({ ranking }))).toEqual(["response r3 is not ranked"]);
  });

  it("rejects a response ranked twice, in one group or across groups", () => {
    const across: Ranking = { groups: [["r1"], ["r2"], ["r3"], ["r4"], ["r2"]], strengths: ["strong", "slight", "clear", "clear"] };
    expect(errorsOf(labels({ ranking: across }))).toEqual(["response r2 is ranked more than once"]);
    const within: Ranking = { groups: [["r1"], ["r2", "r2"], ["r3"], ["r4"]], strengths: ["strong", "slight", "clear"] };
    expect(errorsOf(labels({ ranking: within }))).toEqual(["response r2 is ranked more than once"]);
  });

  it("rejects a response that is not part of the task", () => {
    const ranking: Ranking = { groups: [["r1"], ["r2"], ["r3"], ["r4"], ["r9"]], strengths: ["strong", "slight", "clear", "clear"] };
    expect(errorsOf(labels({ ranking }))).toEqual(["response r9 is not part of this task"]);
  });

  it("rejects an empty group", () => {
    const ranking: Ranking = { groups: [["r1"], [], ["r2"], ["r3"], ["r4"]], strengths: ["strong", "slight", "clear", "clear"] };
    expect(errorsOf(labels({ ranking }))).toEqual(["group 2 of the ranking is empty"]);
  });

  it("rejects a ranking without groups", () => {
    const errors = errorsOf(labels({ ranking: { groups: [], strengths: [] } }));
    expect(errors).toContain("the ranking has no groups");
    expect(errors).toContain("response r1 is not ranked");
  });

  it("rejects ties when the project does not allow them", () => {
    const ranking: Ranking = { groups: [["r1", "r2"], ["r3", "r4"]], strengths: ["clear"] };
    expect(errorsOf(labels({ ranking }), { ...rules, tiesAllowed: false })).toEqual(["ties are not allowed in this project"]);
  });

  it("rejects strengths that do not match the gaps between groups", () => {
    const short: Ranking = { groups: strict.groups, strengths: ["strong", "slight"] };
    expect(errorsOf(labels({ ranking: short }))).toEqual(["the ranking needs 3 preference strength(s) between its 4 group(s), got 2"]);
    const long: Ranking = { groups: [["r1", "r2", "r3", "r4"]], strengths: ["strong"] };
    expect(errorsOf(labels({ ranking: long }))).toEqual(["the ranking needs 0 preference strength(s) between its 1 group(s), got 1"]);
  });

  it("rejects a strength outside the scale", () => {
    const l = raw({ ...labels(), ranking: { groups: strict.groups, strengths: ["strong", "huge", "clear"] } });
    expect(errorsOf(l)).toEqual(['strength "huge" between groups 2 and 3 is not one of negligible, slight, clear, strong']);
  });

  it("reports every problem at once", () => {
    const ranking: Ranking = { groups: [["r1", "r1"], ["r9"]], strengths: [] };
    expect(errorsOf(labels({ ranking }), { ...rules, tiesAllowed: false })).toEqual([
      "response r1 is ranked more than once",
      "response r9 is not part of this task",
      "response r2 is not ranked",
      "response r3 is not ranked",
      "response r4 is not ranked",
      "ties are not allowed in this project",
      "the ranking needs 1 preference strength(s) between its 2 group(s), got 0",
    ]);
  });
});

describe("validateSubmission: prompt policy, harm category and rubric", () => {
  it("requires a harm category when the prompt is not allowed", () => {
    expect(errorsOf(labels({ promptPolicy: "sensitive", rubric: { ...fullRubric } }))).toEqual([
      "a harm category is required when the prompt is sensitive",
    ]);
    expect(errorsOf(labels({ promptPolicy: "disallowed", harmCategory: "", rubric: { ...fullRubric } }))).toEqual([
      "a harm category is required when the prompt is disallowed",
    ]);
  });

  it("rejects a harm category outside the project's taxonomy", () => {
    const l = labels({ promptPolicy: "disallowed", harmCategory: "spam", rubric: { ...fullRubric } });
    expect(errorsOf(l, { ...rules, harmTaxonomy: ["violence", "privacy"] })).toEqual([
      'harm category "spam" is not in this project\'s taxonomy (violence, privacy)',
    ]);
  });

  it("requires a rubric grade for every response when the prompt is not allowed", () => {
    const l = labels({ promptPolicy: "sensitive", harmCategory: "self-harm", rubric: { r1: "A", r2: "A", r3: "B" } });
    expect(errorsOf(l)).toEqual(["rubric grade missing for response r4 (required when the prompt is sensitive)"]);
  });

  it("rejects a harm category on an allowed prompt", () => {
    expect(errorsOf(labels({ harmCategory: "violence" }))).toEqual(['harm category must be empty when the prompt is allowed (got "violence")']);
  });

  it("treats an absent harm category like null on an allowed prompt", () => {
    const absent: Partial<SubmissionLabels> = labels();
    delete absent.harmCategory;
    expect(validateSubmission(raw(absent), rules)).toEqual({ ok: true });
  });

  it("rejects an unknown prompt policy", () => {
    expect(errorsOf(raw({ ...labels(), promptPolicy: "spicy" }))).toEqual(['prompt policy "spicy" is not one of allowed, sensitive, disallowed']);
  });

  it("rejects a rubric grade outside A–D", () => {
    expect(errorsOf(raw({ ...labels(), rubric: { r1: "E" } }))).toEqual(['rubric grade "E" for response r1 is not one of A, B, C, D']);
  });

  it("rejects a rubric grade for a response that is not part of the task", () => {
    expect(errorsOf(labels({ rubric: { r7: "A" } }))).toEqual(["rubric grade given for response r7, which is not part of this task"]);
  });
});

describe("validateSubmission: flags and rationale", () => {
  it("rejects flags for a response that is not part of the task", () => {
    expect(errorsOf(labels({ flags: { r5: ["unsafe"] } }))).toEqual(["flags given for response r5, which is not part of this task"]);
  });

  it("rejects an unknown flag", () => {
    expect(errorsOf(raw({ ...labels(), flags: { r1: ["boring"] } }))).toEqual([
      'flag "boring" for response r1 is not one of factual_error, ignores_instruction, unsafe, low_quality',
    ]);
  });

  it("rejects a flag given twice for one response", () => {
    expect(errorsOf(labels({ flags: { r1: ["unsafe", "low_quality", "unsafe"] } }))).toEqual([
      'flag "unsafe" is given more than once for response r1',
    ]);
  });

  it("rejects flags that are not a list", () => {
    expect(errorsOf(raw({ ...labels(), flags: { r1: "unsafe" } }))).toEqual(["flags for response r1 must be a list"]);
  });

  it("rejects a rationale over 5000 characters", () => {
    expect(errorsOf(labels({ rationale: "x".repeat(5001) }))).toEqual(["the rationale is 5001 characters long; the limit is 5000"]);
  });
});

describe("ZSubmissionLabels", () => {
  const wire = {
    ranking: { groups: [["r1"], ["r2", "r3"]], strengths: ["clear"] },
    promptPolicy: "sensitive",
    harmCategory: "privacy",
    rubric: { r1: "A", r2: "D", r3: "B" },
    flags: { r2: ["unsafe"] },
    rationale: "r1 refuses politely.",
  };

  it("parses the wire format into labels validateSubmission accepts", () => {
    const parsed = ZSubmissionLabels.parse(wire);
    expect(validateSubmission(parsed, { responseIds: ["r1", "r2", "r3"], tiesAllowed: true, harmTaxonomy: defaultHarmTaxonomy })).toEqual({
      ok: true,
    });
  });

  it("fills left-out optional fields with null or empty records", () => {
    const parsed = ZSubmissionLabels.parse({ ranking: wire.ranking, promptPolicy: "allowed" });
    expect(parsed).toMatchObject({ harmCategory: null, rubric: {}, flags: {}, rationale: null });
  });

  it("produces exactly the SubmissionLabels type", () => {
    expectTypeOf<TSubmissionLabels>().toExtend<SubmissionLabels>();
    expectTypeOf<SubmissionLabels>().toExtend<TSubmissionLabels>();
  });

  it("rejects unknown enum values", () => {
    expect(ZSubmissionLabels.safeParse({ ...wire, promptPolicy: "spicy" }).success).toBe(false);
    expect(ZSubmissionLabels.safeParse({ ...wire, rubric: { r1: "E" } }).success).toBe(false);
    expect(ZSubmissionLabels.safeParse({ ...wire, flags: { r1: ["boring"] } }).success).toBe(false);
  });

  it("rejects a rationale over 5000 characters", () => {
    expect(ZSubmissionLabels.safeParse({ ...wire, rationale: "x".repeat(5001) }).success).toBe(false);
  });

  it("rejects more rubric entries than a task can have responses", () => {
    const rubric = Object.fromEntries(Array.from({ length: 17 }, (_, k) => [`r${k}`, "A"]));
    expect(ZSubmissionLabels.safeParse({ ...wire, rubric }).success).toBe(false);
  });
});

describe("ZRanking", () => {
  it("accepts up to 16 responses", () => {
    const groups = Array.from({ length: 16 }, (_, k) => [`r${k}`]);
    expect(ZRanking.safeParse({ groups, strengths: Array(15).fill("slight") }).success).toBe(true);
  });

  it("rejects more than 16 responses, even when packed into few groups", () => {
    const ids = Array.from({ length: 17 }, (_, k) => `r${k}`);
    expect(ZRanking.safeParse({ groups: [ids.slice(0, 9), ids.slice(9)], strengths: ["clear"] }).success).toBe(false);
  });

  it("rejects ids longer than 64 characters and empty ids", () => {
    expect(ZRanking.safeParse({ groups: [["x".repeat(65)]], strengths: [] }).success).toBe(false);
    expect(ZRanking.safeParse({ groups: [[""]], strengths: [] }).success).toBe(false);
  });

  it("rejects a ranking with no groups or an empty group", () => {
    expect(ZRanking.safeParse({ groups: [], strengths: [] }).success).toBe(false);
    expect(ZRanking.safeParse({ groups: [["r1"], []], strengths: ["clear"] }).success).toBe(false);
  });

  it("rejects an unknown strength", () => {
    expect(ZRanking.safeParse({ groups: [["r1"], ["r2"]], strengths: ["huge"] }).success).toBe(false);
  });
});
