import { describe, expect, it } from "vitest";
import type { ExportAnnotation } from "../types";
import { mergeLabels, weightedPlurality } from "./labels";
import { annotation } from "./test-fixtures";

const ballots = (labels: Partial<ExportAnnotation>[], weights?: number[]) =>
  labels.map((l, i) => ({ annotation: annotation([["r1"], ["r2"]], l), weight: weights?.[i] ?? 1 }));
const ids = ["r1", "r2"];

describe("mergeLabels", () => {
  it("takes the majority prompt policy and its harm category", () => {
    const merged = mergeLabels(
      ballots([
        { promptPolicy: "sensitive", harmCategory: "privacy" },
        { promptPolicy: "sensitive", harmCategory: "privacy" },
        { promptPolicy: "disallowed", harmCategory: "violence" },
      ]),
      ids,
    );
    expect(merged).toMatchObject({ promptPolicy: "sensitive", harmCategory: "privacy" });
  });

  it("breaks a policy tie toward the more restrictive policy", () => {
    expect(mergeLabels(ballots([{ promptPolicy: "allowed" }, { promptPolicy: "disallowed", harmCategory: "weapons & illegal activity" }]), ids).promptPolicy).toBe(
      "disallowed",
    );
    expect(mergeLabels(ballots([{ promptPolicy: "sensitive", harmCategory: "privacy" }, { promptPolicy: "allowed" }]), ids).promptPolicy).toBe("sensitive");
  });

  it("counts harm categories only among annotators who gave one, ties to the alphabetically first", () => {
    const merged = mergeLabels(
      ballots([
        { promptPolicy: "sensitive", harmCategory: "violence" },
        { promptPolicy: "sensitive", harmCategory: "privacy" },
        { promptPolicy: "sensitive", harmCategory: null },
      ]),
      ids,
    );
    expect(merged.harmCategory).toBe("privacy");
  });

  it("drops the harm category when the merged policy is allowed", () => {
    const merged = mergeLabels(ballots([{ promptPolicy: "allowed" }, { promptPolicy: "allowed" }, { promptPolicy: "sensitive", harmCategory: "privacy" }]), ids);
    expect(merged).toMatchObject({ promptPolicy: "allowed", harmCategory: null });
  });

  it("takes the majority rubric grade per response, ties to the grade listed first", () => {
    const merged = mergeLabels(ballots([{ rubric: { r1: "D", r2: "B" } }, { rubric: { r1: "D", r2: "A" } }, { rubric: { r1: "C" } }]), ids);
    expect(merged.rubric).toEqual({ r1: "D", r2: "A" });
  });

  it("leaves out responses nobody graded and policies nobody gave", () => {
    expect(mergeLabels(ballots([{ promptPolicy: null }]), ids)).toEqual({ promptPolicy: null, harmCategory: null, rubric: {}, feedback: null });
  });

  it("takes the weighted plurality of thumbs labels; a tie, or nobody giving one, is none", () => {
    expect(mergeLabels(ballots([{ feedback: "up" }, { feedback: "down" }, { feedback: "up" }]), ids).feedback).toBe("up");
    expect(mergeLabels(ballots([{ feedback: "up" }, { feedback: "down" }, { feedback: null }]), ids).feedback).toBeNull();
    expect(mergeLabels(ballots([{ feedback: "up" }, { feedback: "down" }], [0.4, 0.9]), ids).feedback).toBe("down");
    expect(mergeLabels(ballots([{}, {}]), ids).feedback).toBeNull();
  });

  it("weighs each label by its ballot's weight", () => {
    const merged = mergeLabels(ballots([{ promptPolicy: "allowed" }, { promptPolicy: "allowed" }, { promptPolicy: "sensitive", harmCategory: "privacy" }], [0.3, 0.3, 0.9]), ids);
    expect(merged).toMatchObject({ promptPolicy: "sensitive", harmCategory: "privacy" });
  });
});

describe("weightedPlurality", () => {
  it("is null without votes", () => {
    expect(weightedPlurality([], () => 0)).toBeNull();
  });
});
