// A small forecast.json, as the trainer writes it, for the helpers' tests.
import type { Forecast } from "../../../server/forecast/forecast-result";

const iv = (value: number | null, lo: number | null, hi: number | null) => ({ value, lo, hi });

export function sampleForecast(overrides: Partial<Forecast["answers"]> = {}): Forecast {
  const fit = {
    law: "a * n^-b + c",
    params: { a: iv(2, 1, 3), b: iv(0.5, 0.3, 0.7), c: iv(0.1, 0.05, 0.15) },
    resamples: 100,
    succeeded: 100,
    band: [
      { n: 100, ...iv(0.3, 0.25, 0.35), run_lo: 0.2, run_hi: 0.4 },
      { n: 1600, ...iv(0.15, 0.1, 0.2), run_lo: 0.05, run_hi: 0.25 },
    ],
  };
  return {
    points: [
      { run: "1-16", train_pairs: 100, train_prompts: 50, loss: 0.6, accuracy: 0.7, eval_pairs: 40 },
      { run: "all", train_pairs: 1600, train_prompts: 800, loss: 0.4, accuracy: 0.86, eval_pairs: 40 },
    ],
    split: { name: "split-abc", fraction: 0.2 },
    loss: fit,
    error: fit,
    answers: {
      target_accuracy: { accuracy: 0.88, target: 0.12, reachable: true, pairs: iv(3600, 2600, null), floor: iv(0.1, 0.05, 0.15), reachable_share: 0.9 },
      more_pairs: { more_pairs: 1000, pairs: 2600, loss: iv(0.35, 0.3, 0.4), loss_new_run: iv(0.35, 0.2, 0.5), accuracy: iv(0.875, 0.85, 0.9), accuracy_new_run: iv(0.875, 0.8, 0.95) },
      ...overrides,
    },
  };
}
