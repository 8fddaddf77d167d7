import { describe, expect, it } from "vitest";
import { chartRows, lastStep, mergeSeries, metricNames, valueDomain } from "./metric-series";

describe("metric series", () => {
  it("merges polled increments, keeping the newer value of a step seen again", () => {
    const prev = { "train/loss": [{ step: 1, value: 0.9 }, { step: 2, value: 0.8 }] };
    const merged = mergeSeries(prev, { "train/loss": [{ step: 2, value: 0.7 }, { step: 3, value: 0.6 }], "eval/accuracy": [{ step: 2, value: 0.5 }] });
    expect(merged["train/loss"]).toEqual([{ step: 1, value: 0.9 }, { step: 2, value: 0.7 }, { step: 3, value: 0.6 }]);
    expect(merged["eval/accuracy"]).toEqual([{ step: 2, value: 0.5 }]);
    expect(lastStep(merged)).toBe(3);
    expect(lastStep({})).toBeUndefined();
  });

  it("orders the usual curves first and the rest by name", () => {
    expect(metricNames({ "train/kl": [], "eval/accuracy": [] }, { "train/loss": [], "train/accuracy": [] })).toEqual(["train/loss", "train/accuracy", "eval/accuracy", "train/kl"]);
  });

  it("lines two runs up by step for an overlay chart", () => {
    const rows = chartRows([
      { key: "a", points: [{ step: 1, value: 1 }, { step: 3, value: 3 }] },
      { key: "b", points: [{ step: 2, value: 2 }, { step: 3, value: 4 }] },
    ]);
    expect(rows).toEqual([{ step: 1, a: 1 }, { step: 2, b: 2 }, { step: 3, a: 3, b: 4 }]);
  });

  it("gives a flat curve a narrow band around its value, and leaves moving curves to recharts", () => {
    expect(valueDomain([{ points: [{ step: 1, value: 1 }, { step: 2, value: 1 }] }])).toEqual([0.9, 1.1]);
    expect(valueDomain([{ points: [{ step: 1, value: 0 }] }])).toEqual([-0.1, 0.1]);
    expect(valueDomain([{ points: [{ step: 1, value: -20 }] }, { points: [{ step: 4, value: -20 }] }])).toEqual([-22, -18]);
    expect(valueDomain([{ points: [{ step: 1, value: 0.5 }] }, { points: [{ step: 1, value: 0.6 }] }])).toEqual(["auto", "auto"]);
    expect(valueDomain([{ points: [] }])).toEqual(["auto", "auto"]);
  });
});
