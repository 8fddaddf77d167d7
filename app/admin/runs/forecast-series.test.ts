import { describe, expect, it } from "vitest";
import { sampleForecast } from "./forecast-fixture";
import { forecastRows, targetLine } from "./forecast-series";

describe("forecastRows", () => {
  it("turns the error fit into accuracy, its band upside down, merged with the measured points by n", () => {
    const { rows, hasRunBand } = forecastRows(sampleForecast());
    expect(hasRunBand).toBe(true);
    expect(rows.map((r) => r.n)).toEqual([100, 1600]);
    expect(rows[0]).toMatchObject({ measured: 0.7, fit: 0.7 });
    expect(rows[0]!.band![0]).toBeCloseTo(0.65);
    expect(rows[0]!.band![1]).toBeCloseTo(0.75);
    expect(rows[1]!.runBand![0]).toBeCloseTo(0.75);
    expect(rows[1]!.runBand![1]).toBeCloseTo(0.95);
  });

  it("leaves the new-run band out when an end is open, and keeps the curve", () => {
    const f = sampleForecast();
    f.error = { ...f.error, band: f.error.band.map((g, i) => (i === 1 ? { ...g, run_hi: null } : g)) };
    const { rows, hasRunBand } = forecastRows(f);
    expect(hasRunBand).toBe(false);
    expect(rows.every((r) => r.runBand === undefined)).toBe(true);
    expect(rows[1]!.fit).toBeCloseTo(0.85);
  });

  it("orders rows by n when a measured run falls between grid points", () => {
    const f = sampleForecast();
    f.points = [...f.points, { run: "1-2", train_pairs: 800, train_prompts: 400, loss: 0.45, accuracy: 0.8, eval_pairs: 40 }];
    expect(forecastRows(f).rows.map((r) => [r.n, r.measured])).toEqual([[100, 0.7], [800, 0.8], [1600, 0.86]]);
  });

  it("draws the target only when one was asked", () => {
    expect(targetLine(sampleForecast())).toBe(0.88);
    expect(targetLine({ ...sampleForecast(), answers: {} })).toBeNull();
  });
});
