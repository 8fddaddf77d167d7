import { describe, expect, it } from "vitest";
import { compactTick } from "./compact-tick";

describe("compactTick", () => {
  it("keeps labels short: three digits, exponents for learning rates and large counts", () => {
    expect([0, 1, 0.5, 0.123456, 12.345, 1234.5].map(compactTick)).toEqual(["0", "1", "0.5", "0.123", "12.3", "1230"]);
    expect([0.00003, 0.000025, 1e-7, -0.0002, 250000, 1.5e6].map(compactTick)).toEqual(["3e-5", "2.5e-5", "1e-7", "-2e-4", "2.5e5", "1.5e6"]);
    for (const v of [0.00003, 0.000025, 1e-7, 123456789]) expect(compactTick(v).length).toBeLessThanOrEqual(7);
  });
});
