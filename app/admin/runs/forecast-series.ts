// The forecast chart's rows: held-out accuracy against training pairs, from forecast.json (the
// trainer fits the error, 1 − accuracy, so every band is turned over).
import type { Forecast } from "../../../server/forecast/forecast-result";

export type ForecastRow = {
  n: number;
  /** A measured run's held-out accuracy. */
  measured?: number;
  /** The fitted curve and its 95 % band ([lo, hi], as recharts draws a range area). */
  fit?: number;
  band?: [number, number];
  /** Where one new run at n would measure, 95 %. */
  runBand?: [number, number];
};

const clamp = (x: number) => Math.min(1, Math.max(0, x));

/**
 * One row per measured run and per grid point of the fit, by n. The new-run band is left out (null
 * `runBand` on every row) unless every grid point has both ends: a band with open ends does not fit
 * the picture.
 */
export function forecastRows(forecast: Forecast): { rows: ForecastRow[]; hasRunBand: boolean } {
  const byN = new Map<number, ForecastRow>();
  const row = (n: number) => byN.get(n) ?? byN.set(n, { n }).get(n)!;
  for (const p of forecast.points) row(p.train_pairs).measured = p.accuracy;
  const grid = forecast.error.band;
  const hasRunBand = grid.length > 0 && grid.every((g) => g.run_lo !== null && g.run_hi !== null);
  for (const g of grid) {
    const r = row(g.n);
    if (g.value !== null) r.fit = clamp(1 - g.value);
    if (g.lo !== null && g.hi !== null) r.band = [clamp(1 - g.hi), clamp(1 - g.lo)];
    if (hasRunBand) r.runBand = [clamp(1 - g.run_hi!), clamp(1 - g.run_lo!)];
  }
  return { rows: [...byN.values()].sort((a, b) => a.n - b.n), hasRunBand };
}

/** The target accuracy the run was asked about, for the chart's horizontal line. */
export function targetLine(forecast: Forecast): number | null {
  return forecast.answers.target_accuracy?.accuracy ?? null;
}
