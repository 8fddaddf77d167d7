import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bradleyTerryMargin, fitBradleyTerry, mergeBradleyTerry, pairOutcomes, strengthFromMargin, type PairOutcome } from "./bradley-terry";
import { annotation, arbRanking, normalise, responseIds, task } from "./test-fixtures";

const byRankings = (k: number, rankings: string[][][]) => task(k, rankings.map((r) => annotation(r)));

describe("fitBradleyTerry", () => {
  it("fits two items in closed form: the odds are the ratio of (prior-smoothed) wins", () => {
    // a beat b twice; with one virtual tie, a has 2.5 wins and b 0.5, so πa/πb = 5.
    const fit = fitBradleyTerry(["a", "b"], [
      { a: "a", b: "b", score: 1 },
      { a: "a", b: "b", score: 1 },
    ]);
    expect(fit.converged).toBe(true);
    expect(fit.strengths.get("a")).toBeCloseTo(Math.sqrt(5), 10);
    expect(fit.strengths.get("b")).toBeCloseTo(1 / Math.sqrt(5), 10);
  });

  it("fits one strict ranking of three to the root of x³ − x² − x − 3", () => {
    // Wins with the prior: a 3, b 2, c 1; two comparisons per pair. By symmetry πb = 1 and
    // πc = 1/πa; a's likelihood equation 3 = 2x/(x+1) + 2x²/(x²+1) becomes x³ − x² − x − 3 = 0.
    const fit = fitBradleyTerry(["a", "b", "c"], [
      { a: "a", b: "b", score: 1 },
      { a: "a", b: "c", score: 1 },
      { a: "b", b: "c", score: 1 },
    ]);
    const x = fit.strengths.get("a")!;
    expect(x ** 3 - x ** 2 - x - 3).toBeCloseTo(0, 10);
    expect(x).toBeCloseTo(2.130395434767277, 9);
    expect(fit.strengths.get("b")).toBeCloseTo(1, 10);
    expect(fit.strengths.get("c")).toBeCloseTo(1 / x, 10);
  });

  it("matches a reference maximum-likelihood fit of a 2-vs-1 split", () => {
    // Reference: scipy BFGS on the same likelihood (wins a>b 2, b>a 1, a>c 3, b>c 3, plus one
    // virtual tie per pair), normalised to a geometric mean of 1.
    const task3 = byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r1"], ["r2"], ["r3"]], [["r2"], ["r1"], ["r3"]]]);
    const fit = fitBradleyTerry(responseIds(3), pairOutcomes(task3));
    expect(fit.strengths.get("r1")).toBeCloseTo(2.367721997161496, 6);
    expect(fit.strengths.get("r2")).toBeCloseTo(1.562245309223262, 6);
    expect(fit.strengths.get("r3")).toBeCloseTo(0.270346070660703, 6);
  });

  it("counts a tie as half a win to each side", () => {
    const fit = fitBradleyTerry(["a", "b"], [{ a: "a", b: "b", score: 0.5 }]);
    expect(fit.strengths.get("a")).toBe(1);
    expect(fit.strengths.get("b")).toBe(1);
  });

  it("satisfies the likelihood equations: each item's expected wins equal its wins", () => {
    const arbOutcomes = fc.array(
      fc.record({ a: fc.constantFrom("a", "b", "c", "d"), b: fc.constantFrom("a", "b", "c", "d"), score: fc.constantFrom(0, 0.5, 1) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arbOutcomes, (outcomes: PairOutcome[]) => {
        const ids = ["a", "b", "c", "d"];
        const { strengths: pi, converged } = fitBradleyTerry(ids, outcomes);
        expect(converged).toBe(true);
        for (const i of ids) {
          let wins = 0;
          let expected = 0;
          for (const j of ids) {
            if (j === i) continue;
            // One virtual tie per pair: half a win of one comparison.
            let n = 1;
            wins += 0.5;
            for (const o of outcomes) {
              if (o.a === i && o.b === j) {
                n += 1;
                wins += o.score;
              }
              if (o.a === j && o.b === i) {
                n += 1;
                wins += 1 - o.score;
              }
            }
            expected += (n * pi.get(i)!) / (pi.get(i)! + pi.get(j)!);
          }
          expect(expected).toBeCloseTo(wins, 8);
        }
      }),
    );
  });

  it("stays finite when one item wins everything", () => {
    const fit = fitBradleyTerry(["a", "b"], Array.from({ length: 50 }, () => ({ a: "a", b: "b", score: 1 })));
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.strengths.get("a"))).toBe(true);
  });

  it("refuses a prior of no ties", () => {
    expect(() => fitBradleyTerry(["a", "b"], [], { priorTies: 0 })).toThrow(RangeError);
  });
});

describe("mergeBradleyTerry", () => {
  it("ranks by fitted strength with margins P(chosen wins) − P(rejected wins)", () => {
    const merged = mergeBradleyTerry(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r1"], ["r2"], ["r3"]], [["r2"], ["r1"], ["r3"]]]))!;
    const [p1, p2, p3] = [2.367721997161496, 1.562245309223262, 0.270346070660703];
    expect(merged.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
    expect(merged.margins["r1>r2"]).toBeCloseTo((p1 - p2) / (p1 + p2), 6); // ≈ 0.205
    expect(merged.margins["r1>r3"]).toBeCloseTo((p1 - p3) / (p1 + p3), 6); // ≈ 0.795
    expect(merged.margins["r2>r3"]).toBeCloseTo((p2 - p3) / (p2 + p3), 6); // ≈ 0.705
    expect(merged.strengths).toEqual(["slight", "clear"]);
  });

  it("keeps a unanimous ranking of two with margin 2/3", () => {
    const merged = mergeBradleyTerry(byRankings(2, [[["r2"], ["r1"]], [["r2"], ["r1"]]]))!;
    expect(merged.ranking).toEqual([["r2"], ["r1"]]);
    expect(merged.margins["r2>r1"]).toBeCloseTo(2 / 3, 10);
    expect(merged.strengths).toEqual(["clear"]);
  });

  it("ties everything in an all-ties task", () => {
    const tie = [["r1", "r2", "r3"]];
    const merged = mergeBradleyTerry(byRankings(3, [tie, tie]))!;
    expect(merged.ranking).toEqual([["r1", "r2", "r3"]]);
    expect(merged.margins).toEqual({});
  });

  it("ties a Condorcet cycle", () => {
    const merged = mergeBradleyTerry(byRankings(3, [[["r1"], ["r2"], ["r3"]], [["r2"], ["r3"], ["r1"]], [["r3"], ["r1"], ["r2"]]]))!;
    expect(merged.ranking).toEqual([["r1", "r2", "r3"]]);
    expect(merged.strengths).toEqual([]);
  });

  it("keeps ties that every annotator made", () => {
    const merged = mergeBradleyTerry(byRankings(4, [[["r4"], ["r1", "r3"], ["r2"]], [["r4"], ["r3", "r1"], ["r2"]]]))!;
    expect(normalise(merged.ranking)).toEqual([["r4"], ["r1", "r3"], ["r2"]]);
  });

  it("returns null for a task without annotations", () => {
    expect(mergeBradleyTerry(task(2, []))).toBeNull();
  });

  it("returns a unanimous ranking of up to 7 responses, ties included", () => {
    const arb = fc.integer({ min: 1, max: 7 }).chain((k) => fc.tuple(fc.constant(k), arbRanking(k), fc.integer({ min: 1, max: 5 })));
    fc.assert(
      fc.property(arb, ([k, ranking, copies]) => {
        const merged = mergeBradleyTerry(byRankings(k, Array.from({ length: copies }, () => ranking)))!;
        expect(normalise(merged.ranking)).toEqual(normalise(ranking));
        for (const m of Object.values(merged.margins)) {
          expect(m).toBeGreaterThan(0);
          expect(m).toBeLessThan(1);
        }
      }),
    );
  });
});

describe("strengthFromMargin", () => {
  it("picks the strength whose table margin is nearest", () => {
    expect(strengthFromMargin(0)).toBe("negligible");
    expect(strengthFromMargin(1 / 6)).toBe("negligible");
    expect(strengthFromMargin(0.2)).toBe("slight");
    expect(strengthFromMargin(0.6)).toBe("clear");
    expect(strengthFromMargin(0.9)).toBe("strong");
  });

  it("is the difference of the two win probabilities", () => {
    expect(bradleyTerryMargin(3, 1)).toBeCloseTo(3 / 4 - 1 / 4, 12);
  });
});
