// Metric series as the run page keeps them: polled in increments (points after the last step seen)
// and merged, so a long run's curves are not re-sent every second.

export type Point = { step: number; value: number };
export type Series = Record<string, Point[]>;

/** The highest step any series has reached (the polling cursor); undefined when there are none. */
export function lastStep(series: Series): number | undefined {
  let max: number | undefined;
  for (const points of Object.values(series)) {
    const last = points[points.length - 1];
    if (last && (max === undefined || last.step > max)) max = last.step;
  }
  return max;
}

/** `fresh` merged into `prev`: a step seen again takes the newer value; each series stays in step order. */
export function mergeSeries(prev: Series, fresh: Series): Series {
  const out: Series = { ...prev };
  for (const [name, points] of Object.entries(fresh)) {
    if (points.length === 0) continue;
    const byStep = new Map((out[name] ?? []).map((p) => [p.step, p.value]));
    for (const p of points) byStep.set(p.step, p.value);
    out[name] = [...byStep].map(([step, value]) => ({ step, value })).sort((a, b) => a.step - b.step);
  }
  return out;
}

const firstNames = ["train/loss", "train/accuracy", "eval/loss", "eval/accuracy"];

/** The metric names of one or more runs, the usual curves first, then the rest by name. */
export function metricNames(...runs: (Series | undefined)[]): string[] {
  const names = new Set(runs.flatMap((s) => Object.keys(s ?? {})));
  const rank = (n: string) => (firstNames.includes(n) ? firstNames.indexOf(n) : firstNames.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Rows for one chart: one per step, a column per run (absent where that run has no point). */
export function chartRows(runs: { key: string; points: Point[] }[]): Record<string, number>[] {
  const byStep = new Map<number, Record<string, number>>();
  for (const run of runs) {
    for (const p of run.points) {
      const row = byStep.get(p.step) ?? { step: p.step };
      row[run.key] = p.value;
      byStep.set(p.step, row);
    }
  }
  return [...byStep.values()].sort((a, b) => a.step! - b.step!);
}

/**
 * The value axis of a chart: recharts' own "auto" bounds for curves that move, and a band of
 * ±10 % of the value (at least ±0.1) around a curve that stays flat, where "auto" would stretch
 * one value over an axis like −1…3 and make a steady accuracy of 1 look like a line at a quarter.
 */
export function valueDomain(runs: { points: Point[] }[]): [number | "auto", number | "auto"] {
  const values = runs.flatMap((r) => r.points.map((p) => p.value)).filter(Number.isFinite);
  if (values.length === 0) return ["auto", "auto"];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max > min) return ["auto", "auto"];
  const pad = Math.max(Math.abs(min) * 0.1, 0.1);
  return [min - pad, max + pad];
}
