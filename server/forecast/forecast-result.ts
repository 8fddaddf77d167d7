// What the trainer's `forecast` command writes (forecast.json), as the platform reads it back: the
// job's result carries it, and the run page and the project page draw and phrase it.
import { z } from "zod";

/** A value with its 95 % bootstrap interval; an end is null where some refits never get there. */
const ZInterval = z.object({ value: z.number().nullable(), lo: z.number().nullable(), hi: z.number().nullable() });
export type Interval = z.infer<typeof ZInterval>;

const ZPoint = z.object({
  run: z.string(),
  train_pairs: z.number(),
  train_prompts: z.number(),
  loss: z.number(),
  accuracy: z.number(),
  eval_pairs: z.number(),
});

/** One grid point of a fit: the curve with its band, and the band of one new run's measurement. */
const ZBandPoint = ZInterval.extend({ n: z.number(), run_lo: z.number().nullable(), run_hi: z.number().nullable() });
export type BandPoint = z.infer<typeof ZBandPoint>;

const ZFit = z.object({
  law: z.string(),
  params: z.object({ a: ZInterval, b: ZInterval, c: ZInterval }),
  resamples: z.number(),
  succeeded: z.number(),
  band: z.array(ZBandPoint),
});

const ZTargetAnswer = z.object({
  /** The held-out accuracy asked for; `target` is its error (1 − accuracy). */
  accuracy: z.number(),
  target: z.number(),
  reachable: z.boolean(),
  /** The total training pairs at which the error fit reaches the target (when reachable). */
  pairs: ZInterval.optional(),
  /** The error fit's floor c. */
  floor: ZInterval,
  reachable_share: z.number().nullable(),
});
export type TargetAnswer = z.infer<typeof ZTargetAnswer>;

const ZMorePairsAnswer = z.object({
  more_pairs: z.number(),
  /** The largest run's pairs plus `more_pairs`. */
  pairs: z.number(),
  loss: ZInterval,
  loss_new_run: ZInterval,
  accuracy: ZInterval,
  accuracy_new_run: ZInterval,
});
export type MorePairsAnswer = z.infer<typeof ZMorePairsAnswer>;

export const ZForecast = z.object({
  points: z.array(ZPoint).min(1),
  split: z.union([z.object({ name: z.string(), fraction: z.number() }), z.object({ eval_data: z.string() })]),
  loss: ZFit,
  error: ZFit,
  answers: z.object({ target_accuracy: ZTargetAnswer.optional(), more_pairs: ZMorePairsAnswer.optional() }),
});
export type Forecast = z.infer<typeof ZForecast>;

/** The forecast a `forecast` job's result carries, or null (still running, failed, or an older shape). */
export function forecastOfResult(result: unknown): Forecast | null {
  const parsed = ZForecast.safeParse((result as { forecast?: unknown } | null)?.forecast);
  return parsed.success ? parsed.data : null;
}
