import { describe, expect, it } from "vitest";
import { mergeByVote, mergeMajority, strengthFromShare } from "./majority";
import { annotation, task } from "./test-fixtures";

const byRankings = (k: number, rankings: string[][][]) => task(k, rankings.map((r) => annotation(r)));

describe("mergeMajority", () => {
  it("returns a unanimous ranking with strong steps and the table's margins", () => {
    const merged = mergeMajority(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r1"], ["r2"], ["r3"]], [["r1"], ["r2"], ["r3"]]]))!;
    expect(merged.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
    expect(merged.strengths).toEqual(["strong", "strong"]);
    expect(merged.margins).toEqual({ "r1>r2": 1, "r1>r3": 1, "r2>r3": 1 });
    expect(merged.counted).toHaveLength(3);
  });

  it("follows the majority in a 2-vs-1 split and calls a 2/3 share slight", () => {
    // r1,r2: 2 for r1, 1 for r2 → r1.  r1,r3 and r2,r3: unanimous.  Copeland r1 +2, r2 0, r3 −2.
    const merged = mergeMajority(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r1"], ["r2"], ["r3"]], [["r2"], ["r1"], ["r3"]]]))!;
    expect(merged.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
    expect(merged.strengths).toEqual(["slight", "strong"]);
    expect(merged.margins["r1>r2"]).toBeCloseTo(1 / 3, 12);
    expect(merged.margins["r1>r3"]).toBe(1);
    expect(merged.margins["r2>r3"]).toBe(1);
  });

  it("calls a 3/4 share clear", () => {
    const merged = mergeMajority(byRankings(2, [[["r1"], ["r2"]], [["r1"], ["r2"]], [["r1"], ["r2"]], [["r2"], ["r1"]]]))!;
    expect(merged.ranking).toEqual([["r1"], ["r2"]]);
    expect(merged.strengths).toEqual(["clear"]);
  });

  it("keeps an all-ties task as one group", () => {
    const tie = [["r1", "r2", "r3"]];
    const merged = mergeMajority(byRankings(3, [tie, tie, tie]))!;
    expect(merged.ranking).toEqual([["r1", "r2", "r3"]]);
    expect(merged.strengths).toEqual([]);
    expect(merged.margins).toEqual({});
  });

  it("resolves a Condorcet cycle into a Copeland tie", () => {
    // r1 beats r2 2–1, r2 beats r3 2–1, r3 beats r1 2–1: every Copeland score is 0.
    const merged = mergeMajority(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r2"], ["r3"], ["r1"]], [["r3"], ["r1"], ["r2"]]]))!;
    expect(merged.ranking).toEqual([["r1", "r2", "r3"]]);
    expect(merged.strengths).toEqual([]);
  });

  it("puts a cycle above a response that loses to all of it, with the pooled share as strength", () => {
    const merged = mergeMajority(
      byRankings(4, [
        [["r1"], ["r2"], ["r3"], ["r4"]],
        [["r2"], ["r3"], ["r1"], ["r4"]],
        [["r3"], ["r1"], ["r2"], ["r4"]],
      ]),
    )!;
    expect(merged.ranking).toEqual([["r1", "r2", "r3"], ["r4"]]);
    expect(merged.strengths).toEqual(["strong"]);
    expect(merged.margins).toEqual({ "r1>r4": 1, "r2>r4": 1, "r3>r4": 1 });
  });

  it("counts a tie vote as a vote for a tie", () => {
    const tied = mergeMajority(byRankings(2, [[["r1"], ["r2"]], [["r1", "r2"]], [["r1", "r2"]]]))!;
    expect(tied.ranking).toEqual([["r1", "r2"]]);
    // Two for r1 against one tie: r1 wins, but a tie vote is not a vote for r1 (share 2/3).
    const won = mergeMajority(byRankings(2, [[["r1"], ["r2"]], [["r1"], ["r2"]], [["r1", "r2"]]]))!;
    expect(won.ranking).toEqual([["r1"], ["r2"]]);
    expect(won.strengths).toEqual(["slight"]);
  });

  it("ties a pair when the most votes are shared", () => {
    expect(mergeMajority(byRankings(2, [[["r1"], ["r2"]], [["r2"], ["r1"]]]))!.ranking).toEqual([["r1", "r2"]]);
    // One for r1, one for a tie: no majority either.
    expect(mergeMajority(byRankings(2, [[["r1"], ["r2"]], [["r1", "r2"]]]))!.ranking).toEqual([["r1", "r2"]]);
  });

  it("orders equal Copeland scores by the task's response order inside the tie", () => {
    const merged = mergeMajority(byRankings(3, [[["r3"], ["r2", "r1"]]]))!;
    expect(merged.ranking).toEqual([["r3"], ["r1", "r2"]]);
  });

  it("lets an annotation that left a response out abstain on that response's pairs", () => {
    const merged = mergeMajority(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r3"], ["r2"]], [["r3"], ["r2"]]]))!;
    // r2,r3: 2 for r3 against 1; r1 beats both on the one ballot that ranked it.
    expect(merged.ranking).toEqual([["r1"], ["r3"], ["r2"]]);
    expect(merged.strengths).toEqual(["strong", "slight"]);
  });

  it("gives a response nobody ranked a Copeland score of 0 and negligible strengths around it", () => {
    // r1 +1, r3 0 (every pair with it tied for want of votes), r2 −1.
    const merged = mergeMajority(byRankings(3, [[["r1"], ["r2"]]]))!;
    expect(merged.ranking).toEqual([["r1"], ["r3"], ["r2"]]);
    expect(merged.strengths).toEqual(["negligible", "negligible"]);
  });

  it("returns null for a task without annotations", () => {
    expect(mergeMajority(task(3, []))).toBeNull();
  });
});

describe("mergeByVote", () => {
  it("leaves ballots of weight 0 out of the votes and the count", () => {
    const merged = mergeByVote(task(2, []), [
      { annotation: annotation([["r2"], ["r1"]]), weight: 0 },
      { annotation: annotation([["r1"], ["r2"]]), weight: 0.2 },
    ])!;
    expect(merged.ranking).toEqual([["r1"], ["r2"]]);
    expect(merged.strengths).toEqual(["strong"]);
    expect(merged.counted).toHaveLength(1);
  });

  it("treats weighted sums equal up to rounding as tied", () => {
    const merged = mergeByVote(task(2, []), [
      { annotation: annotation([["r1"], ["r2"]]), weight: 0.1 },
      { annotation: annotation([["r1"], ["r2"]]), weight: 0.2 },
      { annotation: annotation([["r2"], ["r1"]]), weight: 0.3 },
    ])!;
    expect(merged.ranking).toEqual([["r1", "r2"]]);
  });
});

describe("strengthFromShare", () => {
  it("maps the share of the vote onto the strength scale", () => {
    expect(strengthFromShare(1, true)).toBe("strong");
    expect(strengthFromShare(0.9, false)).toBe("clear");
    expect(strengthFromShare(0.75, false)).toBe("clear");
    expect(strengthFromShare(0.74, false)).toBe("slight");
    expect(strengthFromShare(0.51, false)).toBe("slight");
    expect(strengthFromShare(0.5, false)).toBe("negligible");
    expect(strengthFromShare(0, false)).toBe("negligible");
  });
});
