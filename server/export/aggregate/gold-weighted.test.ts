import { describe, expect, it } from "vitest";
import { goldWeight, mergeGoldWeighted, neutralGoldWeight } from "./gold-weighted";
import { mergeMajority } from "./majority";
import { annotation, task } from "./test-fixtures";

// One careful annotator (gold 0.9) against two careless ones (0.4 each): 0.9 > 0.8.
const careful = annotation([["r2"], ["r1"], ["r3"]], { annotatorId: "careful", promptPolicy: "sensitive", harmCategory: "privacy", rubric: { r1: "B" } });
const careless = [
  annotation([["r1"], ["r2"], ["r3"]], { annotatorId: "careless-1", promptPolicy: "allowed", rubric: { r1: "D" } }),
  annotation([["r1"], ["r2"], ["r3"]], { annotatorId: "careless-2", promptPolicy: "allowed", rubric: { r1: "D" } }),
];
const gold = new Map([
  ["careful", 0.9],
  ["careless-1", 0.4],
  ["careless-2", 0.4],
]);

describe("mergeGoldWeighted", () => {
  it("lets one accurate annotator overturn the raw majority", () => {
    const t = task(3, [careful, ...careless]);
    expect(mergeMajority(t)!.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
    const merged = mergeGoldWeighted(t, gold)!;
    expect(merged.ranking).toEqual([["r2"], ["r1"], ["r3"]]);
    // r2 over r1: 0.9 of 1.7 → slight; r1 over r3: unanimous → strong.
    expect(merged.strengths).toEqual(["slight", "strong"]);
    expect(merged).toMatchObject({ promptPolicy: "sensitive", harmCategory: "privacy", rubric: { r1: "B" } });
  });

  it("gives annotators without gold data the neutral weight", () => {
    // careful 0.9 against two unknowns at 0.5 each: 0.9 < 1.0, so the two win.
    const merged = mergeGoldWeighted(task(3, [careful, ...careless]), new Map([["careful", 0.9]]))!;
    expect(merged.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
    expect(merged.counted).toHaveLength(3);
  });

  it("leaves annotators with gold accuracy 0 out of the merge", () => {
    const merged = mergeGoldWeighted(task(3, [careful, ...careless]), new Map([...gold, ["careless-1", 0], ["careless-2", 0]]))!;
    expect(merged.ranking).toEqual([["r2"], ["r1"], ["r3"]]);
    expect(merged.strengths).toEqual(["strong", "strong"]);
    expect(merged.counted).toEqual([careful]);
  });

  it("has nothing to merge when every weight is 0", () => {
    expect(mergeGoldWeighted(task(3, careless), new Map([["careless-1", 0], ["careless-2", 0]]))).toBeNull();
  });

  it("equals the plain majority when every annotator has the same accuracy", () => {
    const t = task(3, [careful, ...careless]);
    const same = mergeGoldWeighted(t, new Map([["careful", 0.7], ["careless-1", 0.7], ["careless-2", 0.7]]))!;
    const plain = mergeMajority(t)!;
    expect(same.ranking).toEqual(plain.ranking);
    expect(same.strengths).toEqual(plain.strengths);
  });
});

describe("goldWeight", () => {
  it("uses the accuracy, clamped to [0, 1], and the neutral weight without one", () => {
    expect(goldWeight("a", new Map([["a", 0.8]]))).toBe(0.8);
    expect(goldWeight("a", new Map([["a", 1.5]]))).toBe(1);
    expect(goldWeight("a", new Map([["a", -1]]))).toBe(0);
    expect(goldWeight("a", new Map([["a", Number.NaN]]))).toBe(neutralGoldWeight);
    expect(goldWeight("b", new Map([["a", 0.8]]))).toBe(neutralGoldWeight);
    expect(goldWeight(null, new Map([["a", 0.8]]))).toBe(neutralGoldWeight);
    expect(goldWeight("a", undefined)).toBe(neutralGoldWeight);
  });
});
