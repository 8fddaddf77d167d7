import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trustPrior, trustScore, type TrustInput } from "./trust-score";

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const maybeUnit = fc.option(unit, { nil: null });
const volume = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
const input: fc.Arbitrary<TrustInput> = fc.record({
  goldAccuracy: maybeUnit,
  peerAgreement: maybeUnit,
  skipRate: maybeUnit,
  volume,
});
/** Two values in [0, 1], lower first. */
const ordered = fc.tuple(unit, unit).map(([x, y]): [number, number] => (x <= y ? [x, y] : [y, x]));

describe("trustScore", () => {
  it("matches hand-computed values", () => {
    // quality = 0.5·1 + 0.3·1 + 0.2·1 = 1; score = (20·1 + 20·0.5) / 40
    expect(trustScore({ goldAccuracy: 1, peerAgreement: 1, skipRate: 0, volume: 20 })).toBeCloseTo(0.75, 12);
    // quality = 0.45 + 0.24 + 0.18 = 0.87; score = (180·0.87 + 10) / 200
    expect(trustScore({ goldAccuracy: 0.9, peerAgreement: 0.8, skipRate: 0.1, volume: 180 })).toBeCloseTo(0.833, 12);
    // quality = 0 + 0 + 0 = 0; score = 10 / (980 + 20)
    expect(trustScore({ goldAccuracy: 0, peerAgreement: 0, skipRate: 1, volume: 980 })).toBeCloseTo(0.01, 12);
  });

  it("is the prior without any work", () => {
    expect(trustScore({ goldAccuracy: 1, peerAgreement: 1, skipRate: 0, volume: 0 })).toBe(trustPrior);
  });

  it("counts a missing input as the neutral prior", () => {
    const base = { goldAccuracy: 0.9, peerAgreement: 0.7, skipRate: 0.2, volume: 50 };
    expect(trustScore({ ...base, goldAccuracy: null })).toBeCloseTo(trustScore({ ...base, goldAccuracy: 0.5 }), 12);
    expect(trustScore({ ...base, peerAgreement: null })).toBeCloseTo(trustScore({ ...base, peerAgreement: 0.5 }), 12);
    expect(trustScore({ ...base, skipRate: null })).toBeCloseTo(trustScore({ ...base, skipRate: 0.5 }), 12);
  });

  it("shrinks a small volume toward the prior more than a large one", () => {
    const perfect = { goldAccuracy: 1, peerAgreement: 1, skipRate: 0 };
    const few = trustScore({ ...perfect, volume: 5 });
    const many = trustScore({ ...perfect, volume: 500 });
    expect(few).toBeGreaterThan(trustPrior);
    expect(many).toBeGreaterThan(few);
  });

  it("rejects inputs outside their range", () => {
    expect(() => trustScore({ goldAccuracy: 1.2, peerAgreement: null, skipRate: null, volume: 1 })).toThrow(/goldAccuracy/);
    expect(() => trustScore({ goldAccuracy: null, peerAgreement: Number.NaN, skipRate: null, volume: 1 })).toThrow(/peerAgreement/);
    expect(() => trustScore({ goldAccuracy: null, peerAgreement: null, skipRate: -0.1, volume: 1 })).toThrow(/skipRate/);
    expect(() => trustScore({ goldAccuracy: null, peerAgreement: null, skipRate: null, volume: -1 })).toThrow(/volume/);
  });

  describe("properties", () => {
    it("always lies in [0, 1]", () => {
      fc.assert(
        fc.property(input, (x) => {
          const score = trustScore(x);
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(1);
        }),
      );
    });

    it("does not decrease as gold accuracy rises", () => {
      fc.assert(
        fc.property(input, ordered, (x, [lo, hi]) => {
          expect(trustScore({ ...x, goldAccuracy: hi })).toBeGreaterThanOrEqual(trustScore({ ...x, goldAccuracy: lo }));
        }),
      );
    });

    it("does not decrease as peer agreement rises", () => {
      fc.assert(
        fc.property(input, ordered, (x, [lo, hi]) => {
          expect(trustScore({ ...x, peerAgreement: hi })).toBeGreaterThanOrEqual(trustScore({ ...x, peerAgreement: lo }));
        }),
      );
    });

    it("does not increase as the skip rate rises", () => {
      fc.assert(
        fc.property(input, ordered, (x, [lo, hi]) => {
          expect(trustScore({ ...x, skipRate: hi })).toBeLessThanOrEqual(trustScore({ ...x, skipRate: lo }));
        }),
      );
    });
  });
});
