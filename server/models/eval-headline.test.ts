import { describe, expect, it } from "vitest";
import { evalCaveats, evalHeadline } from "./eval-headline";

describe("eval headline", () => {
  it("puts accuracy and reward before other numbers and skips the step and non-numbers", () => {
    expect(evalHeadline({ step: 10, loss: 0.4, pair_accuracy: 0.8, reward_mean: 1.5, summary: { x: 1 }, note: "hi" })).toEqual([
      { name: "pair_accuracy", value: 0.8 },
      { name: "reward_mean", value: 1.5 },
      { name: "loss", value: 0.4 },
    ]);
  });

  it("falls back to the last training step when the run had no held-out eval", () => {
    const ppo = { summary: { steps: 8, final_eval: null, last_train: { kl: 0.02, reward: -0.95, entropy: 2.4 } } };
    expect(evalHeadline(ppo, 2)).toEqual([
      { name: "reward", value: -0.95 },
      { name: "kl", value: 0.02 },
    ]);
    expect(evalHeadline({ summary: { steps: 8 } })).toEqual([]);
  });

  it("shows a checkpoint's own step's training numbers when it has no held-out eval", () => {
    expect(evalHeadline({ last_train: { loss: 0.4, reward: 0.7, kl: 0.01 } }, 2)).toEqual([
      { name: "reward", value: 0.7 },
      { name: "kl", value: 0.01 },
    ]);
  });

  it("has no headline for a model without eval", () => {
    expect(evalHeadline(null)).toEqual([]);
    expect(evalHeadline([1, 2])).toEqual([]);
  });
});

describe("evalCaveats", () => {
  it("says when the held-out set is too small and when the accuracy is at chance", () => {
    expect(evalCaveats({ accuracy: 0.5, pairs: 6 })).toEqual([
      "Only 6 held-out pairs: too few for the accuracy to mean much; label more before trusting it.",
      "At chance: 50 % on 6 pairs is within its 95 % interval (19 %–81 %) of a coin flip's 50 %.",
    ]);
    expect(evalCaveats({ accuracy: 0.58, pairs: 200 })).toEqual([]);
    expect(evalCaveats({ accuracy: 0.55, pairs: 200 })[0]).toMatch(/^At chance: 55 % on 200 pairs/);
    expect(evalCaveats({ accuracy: 0.9, summary: { eval_pairs: 30 } })).toEqual(["Only 30 held-out pairs: too few for the accuracy to mean much; label more before trusting it."]);
    expect(evalCaveats({ accuracy: 1, pairs: 0 })).toEqual(["No held-out pairs: the accuracy measures nothing."]);
    expect(evalCaveats({ loss: 0.3 })).toEqual([]);
    expect(evalCaveats({ accuracy: 0.7 })).toEqual([]);
  });
});
