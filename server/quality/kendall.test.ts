import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kendallTau } from "./kendall";

describe("kendallTau", () => {
  it("is 1 for identical rankings and −1 for reversed ones", () => {
    expect(kendallTau([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])).toBe(1);
    expect(kendallTau([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBe(-1);
  });

  it("is 1 for identical rankings with ties", () => {
    expect(kendallTau([0, 0, 1, 2], [0, 0, 1, 2])).toBe(1);
  });

  it("matches a hand count without ties", () => {
    // Pairs of items 1..4 under a = [1,2,3,4], b = [2,1,4,3]: (1,2) and (3,4) discordant, other 4 concordant.
    // τ = (4 − 2) / 6 = 1/3
    expect(kendallTau([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(1 / 3, 12);
  });

  it("matches the scipy.stats.kendalltau documentation example, −0.4714", () => {
    // x = [12, 2, 1, 12, 2], y = [1, 4, 7, 1, 0] (scipy docs: tau = −0.47140452079103173).
    // By hand over the 10 pairs (i, j):
    //   concordant (0,4) (3,4)                       n_c = 2
    //   discordant (0,1) (0,2) (1,2) (1,3) (2,3) (2,4) n_d = 6
    //   tied in x only (1,4); tied in both (0,3)
    // n_0 = 10; ties in x: {12,12}, {2,2} → n_1 = 2; ties in y: {1,1} → n_2 = 1.
    // τ_b = (2 − 6) / √((10 − 2)(10 − 1)) = −4 / √72 = −0.4714045…
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-4 / Math.sqrt(72), 12);
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 12);
  });

  it("matches a hand count with a tie in one ranking only", () => {
    // a = [0,0,1], b = [0,1,2]: (0,1) tied in a; (0,2), (1,2) concordant.
    // τ_b = 2 / √((3 − 1)(3 − 0)) = 2/√6
    expect(kendallTau([0, 0, 1], [0, 1, 2])).toBeCloseTo(2 / Math.sqrt(6), 12);
  });

  it("is undefined when a ranking ties every item or there is at most one item", () => {
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(kendallTau([1], [1])).toBeNull();
    expect(kendallTau([], [])).toBeNull();
  });

  it("rejects rankings of different lengths and non-finite ranks", () => {
    expect(() => kendallTau([1, 2], [1])).toThrow(/different lengths/);
    expect(() => kendallTau([1, Number.NaN], [1, 2])).toThrow(/finite/);
  });

  it("is symmetric, within [−1, 1], and depends only on the order of the ranks", () => {
    const ranks = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 10 });
    fc.assert(
      fc.property(ranks, ranks, (x, y) => {
        const n = Math.min(x.length, y.length);
        const [a, b] = [x.slice(0, n), y.slice(0, n)];
        const tau = kendallTau(a, b);
        expect(kendallTau(b, a)).toBe(tau);
        if (tau === null) return;
        expect(Math.abs(tau)).toBeLessThanOrEqual(1 + 1e-12);
        expect(kendallTau(a.map((r) => 3 * r + 7), b)).toBeCloseTo(tau, 12);
        expect(kendallTau(a.map((r) => -r), b)).toBeCloseTo(-tau, 12);
      }),
    );
  });
});
