import { describe, expect, it } from "vitest";
import { projectPreferenceAgreement } from "./agreement";
import { promptPolicyUnits, rankingUnits, rubricGradeUnits } from "./alpha-units";
import { ranksOf } from "./gold-score";
import { krippendorffAlpha } from "./krippendorff";
import { addTally, campaignOfTally, qualityOfTally, taskQuality, type Tally, type TaskAnnotation } from "./task-tally";

const annotation = (annotatorId: string | null, ranking: string[][], promptPolicy: string, rubric: Record<string, string> = {}): TaskAnnotation => ({
  annotatorId,
  ranking,
  promptPolicy,
  harmCategory: promptPolicy === "allowed" ? null : "privacy",
  rubric,
  shownOrder: ranking.flat(),
  timeSpentMs: 1000,
  reviewState: "pending",
});

// Three tasks: two annotators, three (units of m = 3, weights of 1/2) and four with a tie.
const tasks: TaskAnnotation[][] = [
  [annotation("u1", [["a"], ["b"], ["c"]], "allowed"), annotation("u2", [["b"], ["a"], ["c"]], "sensitive", { a: "A" })],
  [annotation("u1", [["a", "b"], ["c"]], "allowed", { a: "B" }), annotation("u2", [["a"], ["b"], ["c"]], "allowed", { a: "B" }), annotation("u3", [["c"], ["b"], ["a"]], "allowed", { a: "C" })],
  [
    annotation("u1", [["a"], ["b", "c"]], "disallowed"),
    annotation("u2", [["a"], ["c"], ["b"]], "disallowed"),
    annotation(null, [["b"], ["a"], ["c"]], "sensitive"),
    annotation("u3", [["a"], ["b"], ["c"]], "disallowed", { b: "D" }),
  ],
];

describe("task tallies", () => {
  it("sum to the figures computed over all tasks at once", () => {
    const total: Tally = {};
    for (const t of tasks) addTally(total, taskQuality(t, [], null).tally);
    const q = qualityOfTally(total);
    const rankings = tasks.map((t) => t.map((a) => ranksOf(a.ranking)));
    const safety = tasks.map((t) => t.map((a) => ({ promptPolicy: a.promptPolicy, rubric: a.rubric })));
    expect(q.agreement.pairwise).toEqual(projectPreferenceAgreement(rankings));
    expect(q.agreement.rankingAlpha.alpha).toBeCloseTo(krippendorffAlpha(rankingUnits(rankings), "ordinal").alpha!, 12);
    expect(q.agreement.rankingAlpha.pairableValues).toBe(krippendorffAlpha(rankingUnits(rankings), "ordinal").pairableValues);
    expect(q.agreement.promptPolicyAlpha).toEqual(krippendorffAlpha(promptPolicyUnits(safety), "nominal"));
    expect(q.agreement.rubricAlpha.alpha).toBeCloseTo(krippendorffAlpha(rubricGradeUnits(safety), "nominal").alpha!, 12);
    expect(q.trials).toEqual({ firstWins: 8, decisive: 8 }); // the tie at the top is no trial
    expect(q.annotators.get("u3")).toMatchObject({ volume: 2, peerComparisons: 6 + 6 });
  });

  it("return to the same total when a task is swapped out and back in", () => {
    const total: Tally = {};
    for (const t of tasks) addTally(total, taskQuality(t, [], null).tally);
    const before = structuredClone(total);
    const changed = taskQuality([{ ...tasks[1]![0]!, reviewState: "rejected" }, ...tasks[1]!.slice(1)], [], null).tally;
    addTally(addTally(total, taskQuality(tasks[1]!, [], null).tally, -1), changed);
    expect(total).not.toEqual(before);
    addTally(addTally(total, changed, -1), taskQuality(tasks[1]!, [], null).tally);
    expect(total).toEqual(before);
  });

  it("counts a rejected annotation only as rejected", () => {
    const q = taskQuality([{ ...tasks[0]![0]!, reviewState: "rejected" }, tasks[0]![1]!], [{ annotatorId: "u1", state: "submitted" }], null);
    expect(q).toMatchObject({ annotations: 1, agreement: null, policyConflict: false });
    expect(qualityOfTally(q.tally).annotators.get("u1")).toMatchObject({ assigned: 1, submitted: 1, rejected: 1, volume: 0 });
  });

  it("count the dashboard's review states, policy mix, rubric grades by model and finished work", () => {
    const models = new Map<string, string | null>([["a", "policy-v1"], ["b", null], ["c", "policy-v2"]]);
    const total: Tally = {};
    for (const t of tasks) addTally(total, taskQuality(t, [], null, models).tally);
    // A rejected annotation only counts as rejected; its policy and grades are not shown.
    addTally(total, taskQuality([{ ...annotation("u4", [["a"], ["b"], ["c"]], "disallowed", { c: "A" }), reviewState: "rejected" }], [{ annotatorId: "u4", state: "submitted" }, { annotatorId: "u5", state: "skipped" }], null, models).tally);
    const c = campaignOfTally(total);
    expect(c.reviewStates).toEqual({ pending: 9, rejected: 1 });
    expect(c.policyMix).toEqual([
      { policy: "allowed", annotations: 4 },
      { policy: "disallowed", annotations: 3 },
      { policy: "sensitive", annotations: 2 },
    ]);
    // Grades of responses with no model go under "(unknown)"; a grade for a response that is not
    // the task's ("z" below) is not counted.
    expect([...c.rubricByModel]).toEqual([
      ["(unknown)", { D: 1 }],
      ["policy-v1", { A: 1, B: 2, C: 1 }],
    ]);
    expect(c).toMatchObject({ annotators: 4, submitted: 1, skipped: 1, timed: 8 });
    expect(campaignOfTally(taskQuality([annotation("u1", [["a"]], "allowed", { z: "A" })], [], null, models).tally).rubricByModel.size).toBe(0);
  });
});
