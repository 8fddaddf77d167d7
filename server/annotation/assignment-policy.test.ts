import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leaseExpiry, poolOrder, shuffled } from "./assignment-policy";

describe("poolOrder", () => {
  it("draws gold first at the gold rate and regular first otherwise", () => {
    expect(poolOrder(0.1, () => 0.05)).toEqual(["gold", "regular"]);
    expect(poolOrder(0.1, () => 0.5)).toEqual(["regular", "gold"]);
    expect(poolOrder(0, () => 0)).toEqual(["regular", "gold"]);
    expect(poolOrder(1, () => 0.999)).toEqual(["gold", "regular"]);
  });

  it("mixes gold in at close to the configured rate", () => {
    let seed = 42;
    const rng = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = 20_000;
    const gold = Array.from({ length: n }, () => poolOrder(0.2, rng)[0]).filter((p) => p === "gold").length;
    expect(gold / n).toBeGreaterThan(0.18);
    expect(gold / n).toBeLessThan(0.22);
  });
});

describe("shuffled", () => {
  it("returns a permutation and leaves the input alone", () => {
    fc.assert(
      fc.property(fc.array(fc.nat()), fc.infiniteStream(fc.double({ min: 0, max: 0.9999999, noNaN: true })), (xs, stream) => {
        const it = stream[Symbol.iterator]();
        const copy = [...xs];
        const out = shuffled(xs, () => it.next().value as number);
        expect(xs).toEqual(copy);
        expect([...out].sort((p, q) => p - q)).toEqual([...xs].sort((p, q) => p - q));
      }),
    );
  });

  it("puts each item first about equally often", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 8000; i++) counts[shuffled([0, 1, 2, 3], Math.random)[0]!]! += 1;
    for (const c of counts) expect(c / 8000).toBeCloseTo(0.25, 1);
  });
});

describe("leaseExpiry", () => {
  it("adds the lease length", () => {
    expect(leaseExpiry(new Date("2026-01-01T00:00:00Z"), 15).toISOString()).toBe("2026-01-01T00:15:00.000Z");
  });
});
