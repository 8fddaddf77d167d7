import { describe, expect, it } from "vitest";
import type { ResponseRanks } from "./agreement";
import { promptPolicyUnits, rankingUnits, rubricGradeUnits } from "./alpha-units";
import { krippendorffAlpha } from "./krippendorff";

const ranks = (entries: Record<string, number>): ResponseRanks => new Map(Object.entries(entries));

describe("rankingUnits", () => {
  it("makes one unit per task and response, valued by mid-rank", () => {
    const units = rankingUnits([
      [ranks({ r1: 0, r2: 1, r3: 2 }), ranks({ r2: 0, r1: 0, r3: 1 })],
      [ranks({ s1: 1, s2: 0 })],
    ]);
    expect(units).toEqual([
      [0, 0.5], // task 1, r1: first vs tied first
      [1, 0.5], // r2
      [2, 2], //   r3: last either way
      [1], //      task 2, s1
      [0], //      s2
    ]);
  });

  it("leaves null where an annotator did not rank a response", () => {
    expect(rankingUnits([[ranks({ a: 0, b: 1 }), ranks({ a: 0 })]])).toEqual([
      [0, 0],
      [1, null],
    ]);
  });

  it("gives ordinal alpha 1 when annotators rank alike, whatever group numbers they used", () => {
    const units = rankingUnits([
      [ranks({ a: 0, b: 1, c: 1 }), ranks({ a: 5, b: 9, c: 9 })],
      [ranks({ d: 0, e: 1 }), ranks({ d: 0, e: 1 })],
    ]);
    expect(krippendorffAlpha(units, "ordinal").alpha).toBe(1);
  });
});

describe("promptPolicyUnits", () => {
  it("makes one unit per task from each annotation's policy", () => {
    const units = promptPolicyUnits([
      [{ promptPolicy: "allowed" }, { promptPolicy: "sensitive" }],
      [{ promptPolicy: "disallowed" }, { promptPolicy: null }, {}],
    ]);
    expect(units).toEqual([
      ["allowed", "sensitive"],
      ["disallowed", null, null],
    ]);
    // Only the first task is pairable: o_as = o_sa = 1, n = 2, so α = 1 − (2 − 1) · 2 / (2² − 1² − 1²) = 0.
    expect(krippendorffAlpha(units, "nominal")).toEqual({ alpha: 0, pairableValues: 2, units: 1 });
  });
});

describe("rubricGradeUnits", () => {
  it("makes one unit per graded response, with null for annotators who did not grade it", () => {
    const units = rubricGradeUnits([
      [{ rubric: { r2: "A", r1: "D" } }, { rubric: { r1: "D" } }, { rubric: null }],
      [{}, {}],
    ]);
    expect(units).toEqual([
      ["D", "D", null],
      ["A", null, null],
    ]);
  });
});
