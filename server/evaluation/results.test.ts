import { describe, expect, it } from "vitest";
import { compareResults, describeMetric, difference, resultsOf, wilson as wilsonInterval, type Estimate } from "./results";

const wilson = (k: number, n: number): Estimate => {
  const [lo, hi] = wilsonInterval(k, n);
  return { value: k / n, lo, hi, n, units: n };
};

describe("wilson", () => {
  it("matches Newcombe's published intervals, and stays on p's side at 0/n", () => {
    const [lo, hi] = wilsonInterval(81, 263);
    expect(lo).toBeCloseTo(0.2553, 4);
    expect(hi).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10)[0]).toBe(0);
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
  });
});

describe("difference", () => {
  it("is Newcombe's hybrid score interval for two Wilson intervals (his published example, method 10)", () => {
    const d = difference(wilson(56, 70), wilson(48, 80));
    expect(d.value).toBeCloseTo(0.2, 10);
    expect(d.lo).toBeCloseTo(0.0524, 4);
    expect(d.hi).toBeCloseTo(0.3339, 4);
    expect(d.significant).toBe(true);
  });

  it("is not significant when the interval holds zero", () => {
    expect(difference(wilson(5, 10), wilson(4, 10)).significant).toBe(false);
  });
});

const est = (value: number, half: number): Estimate => ({ value, lo: value - half, hi: value + half, n: 100, units: 100 });

describe("compareResults", () => {
  it("marks a significant drop of the unsafe rate as better and a rise of over-refusal within noise as the same", () => {
    const child = { metrics: { unsafe_on_disallowed: est(0.12, 0.05), over_refusal_on_allowed: est(0.09, 0.05), length: est(40, 3) }, verdict: [] };
    const parent = { metrics: { unsafe_on_disallowed: est(0.31, 0.06), over_refusal_on_allowed: est(0.08, 0.05), length: est(55, 3) }, verdict: [] };
    const rows = compareResults(child, parent);
    expect(rows.map((r) => r.name)).toEqual(["unsafe_on_disallowed", "over_refusal_on_allowed", "length"]);
    expect(rows[0]).toMatchObject({ change: "better", label: "Unsafe on disallowed prompts" });
    expect(rows[0]!.difference!.value).toBeCloseTo(-0.19);
    expect(rows[1]).toMatchObject({ change: "same" });
    expect(rows[2]).toMatchObject({ change: null });
  });

  it("shows a figure only one side has, with no difference", () => {
    const rows = compareResults({ metrics: { reward: est(1, 0.1) }, verdict: [] }, { metrics: {}, verdict: [] });
    expect(rows).toEqual([expect.objectContaining({ name: "reward", b: null, difference: null, change: null })]);
  });
});

describe("resultsOf", () => {
  it("takes each part's section of the trainer's report and drops what is not an estimate", () => {
    const event = {
      pair_accuracy: 0.8,
      reward_model: { metrics: { pair_accuracy: est(0.8, 0.1), broken: { value: 1 } }, verdict: ["Beats the length rule"], pairs: 10 },
      split: { name: "s", fraction: 0.1 },
    };
    expect(resultsOf(event, "reward")).toEqual({ metrics: { pair_accuracy: est(0.8, 0.1) }, verdict: ["Beats the length rule"], pairs: 10, split: { name: "s", fraction: 0.1 } });
    expect(resultsOf(event, "policy")).toBeNull();
  });
});

describe("describeMetric", () => {
  it("names rubric mixes and the safety classifier's figures", () => {
    expect(describeMetric("rubric/disallowed/C").label).toBe("Rubric C on disallowed prompts");
    expect(describeMetric("safety/rubric/kappa/model_vs_human")).toMatchObject({ label: "Response rubric: kappa model vs human", better: "higher" });
  });
});
