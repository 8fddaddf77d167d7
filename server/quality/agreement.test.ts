import { describe, expect, it } from "vitest";
import { peerAgreementByAnnotator, pairwisePreferenceAgreement, projectPreferenceAgreement, type ResponseRanks } from "./agreement";

const ranks = (entries: Record<string, number>): ResponseRanks => new Map(Object.entries(entries));

// Three annotators on responses r1..r3:
//   A: r1 > r2 > r3     B: r1 = r2 > r3     C: r3 > r1 > r2
// pair      A     B     C
// r1,r2     r1    tie   r1
// r1,r3     r1    r1    r3
// r2,r3     r2    r2    r3
const A = ranks({ r1: 0, r2: 1, r3: 2 });
const B = ranks({ r1: 0, r2: 0, r3: 1 });
const C = ranks({ r1: 1, r2: 2, r3: 0 });

describe("pairwisePreferenceAgreement", () => {
  it("counts a tie against a strict preference as a disagreement", () => {
    // A–B: r1,r2 disagree (strict vs tie); r1,r3 and r2,r3 agree.
    expect(pairwisePreferenceAgreement([A, B])).toEqual({ agreement: 2 / 3, agreements: 2, comparisons: 3 });
  });

  it("counts two ties of the same pair as an agreement", () => {
    const D = ranks({ r1: 3, r2: 3, r3: 7 });
    expect(pairwisePreferenceAgreement([B, D])).toEqual({ agreement: 1, agreements: 3, comparisons: 3 });
  });

  it("pools every annotator pair of the task", () => {
    // A–B 2/3, A–C 1/3 (only r1,r2 agree), B–C 0/3 (tie vs r1; r1 vs r3; r2 vs r3).
    expect(pairwisePreferenceAgreement([A, B, C])).toEqual({ agreement: 3 / 9, agreements: 3, comparisons: 9 });
  });

  it("compares only the responses both annotators ranked", () => {
    const partial = ranks({ r1: 1, r2: 0 });
    // Only r1,r2 is shared with A, and they disagree.
    expect(pairwisePreferenceAgreement([A, partial])).toEqual({ agreement: 0, agreements: 0, comparisons: 1 });
  });

  it("is undefined with fewer than two annotators", () => {
    expect(pairwisePreferenceAgreement([A])).toEqual({ agreement: null, agreements: 0, comparisons: 0 });
    expect(pairwisePreferenceAgreement([])).toEqual({ agreement: null, agreements: 0, comparisons: 0 });
  });
});

describe("projectPreferenceAgreement", () => {
  it("pools comparisons over tasks and counts the tasks that had any", () => {
    const pairTask = [ranks({ a: 0, b: 1 }), ranks({ a: 0, b: 1 })]; // 1 of 1
    // 3 of 9 from the three-annotator task plus 1 of 1: 4/10, not the mean of 1/3 and 1.
    expect(projectPreferenceAgreement([[A, B, C], pairTask, [A]])).toEqual({
      agreement: 0.4,
      agreements: 4,
      comparisons: 10,
      tasks: 2,
    });
  });

  it("is undefined for a project without overlapping annotations", () => {
    expect(projectPreferenceAgreement([[A], []])).toEqual({ agreement: null, agreements: 0, comparisons: 0, tasks: 0 });
  });
});

describe("peerAgreementByAnnotator", () => {
  it("credits each annotator with the comparisons against their peers", () => {
    const result = peerAgreementByAnnotator([
      [
        { annotatorId: "a", ranks: A },
        { annotatorId: "b", ranks: B },
        { annotatorId: "c", ranks: C },
      ],
    ]);
    // a: A–B 2 + A–C 1 of 6; b: A–B 2 + B–C 0 of 6; c: A–C 1 + B–C 0 of 6.
    expect(result.get("a")).toEqual({ agreement: 3 / 6, agreements: 3, comparisons: 6 });
    expect(result.get("b")).toEqual({ agreement: 2 / 6, agreements: 2, comparisons: 6 });
    expect(result.get("c")).toEqual({ agreement: 1 / 6, agreements: 1, comparisons: 6 });
  });

  it("does not compare an annotator with themself", () => {
    const result = peerAgreementByAnnotator([
      [
        { annotatorId: "a", ranks: A },
        { annotatorId: "a", ranks: C },
      ],
    ]);
    expect(result.size).toBe(0);
  });
});
