import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstPlaceChance, positionBias, wilsonInterval } from "./position-bias";

// z² = 3.841459 throughout.
describe("wilsonInterval", () => {
  it("matches the hand-computed interval for 60 of 100", () => {
    // z²/n = 0.0384146; centre = (0.6 + 0.0192073) / 1.0384146 = 0.596301;
    // half = 1.959964 / 1.0384146 · √(0.0024 + 0.0000960) = 0.094298 → [0.50200, 0.69060]
    const { lower, upper } = wilsonInterval(60, 100);
    expect(lower).toBeCloseTo(0.502, 4);
    expect(upper).toBeCloseTo(0.6906, 4);
  });

  it("is symmetric about one half for 5 of 10", () => {
    // centre 0.5; half = 1.959964 / 1.3841459 · √(0.025 + 0.0096036) = 0.263407 → [0.23659, 0.76341]
    const { lower, upper } = wilsonInterval(5, 10);
    expect(lower).toBeCloseTo(0.2366, 4);
    expect(upper).toBeCloseTo(0.7634, 4);
  });

  it("starts at 0 for no successes and ends at 1 for all", () => {
    // p̂ = 0: upper = (z²/n) / (1 + z²/n) = 0.3841459 / 1.3841459 = 0.277533
    expect(wilsonInterval(0, 10)).toEqual({ lower: 0, upper: expect.closeTo(0.277533, 5) });
    const all = wilsonInterval(10, 10);
    expect(all.lower).toBeCloseTo(1 - 0.277533, 5);
    expect(all.upper).toBeCloseTo(1, 12);
  });

  it("is [0, 1] without trials", () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1 });
  });

  it("rejects impossible counts", () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
  });

  it("always contains the observed rate and stays inside [0, 1]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const wins = Math.floor(f * n);
        const { lower, upper } = wilsonInterval(wins, n);
        expect(lower).toBeGreaterThanOrEqual(0);
        expect(upper).toBeLessThanOrEqual(1);
        expect(lower).toBeLessThanOrEqual(wins / n + 1e-12);
        expect(upper).toBeGreaterThanOrEqual(wins / n - 1e-12);
      }),
    );
  });
});

describe("positionBias", () => {
  it("flags 60 first-shown wins of 100 pairs: 0.5 lies just below the interval", () => {
    expect(positionBias({ firstWins: 60, decisive: 100 })).toEqual({
      rate: 0.6,
      lower: expect.closeTo(0.502, 4),
      upper: expect.closeTo(0.6906, 4),
      chance: 0.5,
      decisive: 100,
      biased: true,
    });
  });

  it("does not flag 55 of 100", () => {
    // centre = (0.55 + 0.0192073) / 1.0384146 = 0.548150; half = 0.095704 → [0.45245, 0.64385], which holds 0.5
    const result = positionBias({ firstWins: 55, decisive: 100 });
    expect(result.lower).toBeCloseTo(0.4524, 4);
    expect(result.upper).toBeCloseTo(0.6439, 4);
    expect(result.biased).toBe(false);
  });

  it("compares against 1/k when the first of k responses wins", () => {
    // 45 of 120 with k = 4: z²/n = 0.0320122; centre = (0.375 + 0.0160061) / 1.0320122 = 0.378877;
    // half = 1.959964 / 1.0320122 · √(0.0019531 + 0.0000667) = 0.085353 → [0.29352, 0.46423] > 0.25
    const result = positionBias({ firstWins: 45, decisive: 120, chance: firstPlaceChance(4) });
    expect(result.chance).toBe(0.25);
    expect(result.lower).toBeCloseTo(0.2935, 4);
    expect(result.upper).toBeCloseTo(0.4642, 4);
    expect(result.biased).toBe(true);
    // The verdict depends on the chance rate: 0.5 lies above the interval, 0.4 inside it.
    expect(positionBias({ firstWins: 45, decisive: 120 }).biased).toBe(true);
    expect(positionBias({ firstWins: 45, decisive: 120, chance: 0.4 }).biased).toBe(false);
  });

  it("has no rate and flags nothing without decisive comparisons", () => {
    expect(positionBias({ firstWins: 0, decisive: 0 })).toEqual({
      rate: null,
      lower: 0,
      upper: 1,
      chance: 0.5,
      decisive: 0,
      biased: false,
    });
  });

  it("rejects a chance rate outside (0, 1) and k below 2", () => {
    expect(() => positionBias({ firstWins: 1, decisive: 2, chance: 1 })).toThrow(/chance/);
    expect(() => firstPlaceChance(1)).toThrow(/k must be/);
  });
});
