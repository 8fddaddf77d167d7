import { describe, expect, it } from "vitest";
import { morePairsSentence, targetSentence } from "./forecast-answers";
import { sampleForecast } from "./forecast-fixture";

describe("forecast answers", () => {
  it("counts the pairs a target needs beyond the largest run, with an open upper end", () => {
    expect(targetSentence(sampleForecast())).toBe("To reach 88.0 % held-out accuracy: about 2,000 more pairs (95 %: 1,000–no bound), 3,600 in all.");
  });

  it("says a target at or above the fitted ceiling is not reachable, naming the floor", () => {
    const f = sampleForecast({ target_accuracy: { accuracy: 0.95, target: 0.05, reachable: false, floor: { value: 0.1, lo: 0.05, hi: 0.15 }, reachable_share: 0.1 } });
    expect(targetSentence(f)).toBe("To reach 95.0 % held-out accuracy: not reachable: the fitted floor of the error, 10.0 % (95 % 5.0 %–15.0 %), caps accuracy at about 90.0 %.");
  });

  it("says a target the largest run already reaches is reached", () => {
    const f = sampleForecast({ target_accuracy: { accuracy: 0.8, target: 0.2, reachable: true, pairs: { value: 900, lo: 500, hi: 1400 }, floor: { value: 0.1, lo: 0.05, hi: 0.15 }, reachable_share: 1 } });
    expect(targetSentence(f)).toMatch(/reached already: the fit puts it at about 900 pairs, and the largest run had 1,600/);
  });

  it("says a reachable target the fitted curve only reaches beyond any count is out of reach of more pairs", () => {
    const f = sampleForecast({ target_accuracy: { accuracy: 0.88, target: 0.12, reachable: true, pairs: { value: null, lo: 9000, hi: null }, floor: { value: 0.1, lo: 0.05, hi: 0.15 }, reachable_share: 1 } });
    expect(targetSentence(f)).toMatch(/further out than the fit can count/);
  });

  it("gives the accuracy after more pairs with its band and a new run's", () => {
    expect(morePairsSentence(sampleForecast())).toBe("With 1,000 more pairs (2,600 in all): accuracy 87.5 % (95 % 85.0 %–90.0 %); one new run would measure 80.0 %–95.0 %.");
  });

  it("answers nothing that was not asked", () => {
    const f = sampleForecast();
    const bare = { ...f, answers: {} };
    expect(targetSentence(bare)).toBeNull();
    expect(morePairsSentence(bare)).toBeNull();
  });
});
