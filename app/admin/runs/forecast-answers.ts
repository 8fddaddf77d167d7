// The forecast's two answers in words, from what the trainer wrote (forecast.json's `answers`).
import type { Forecast, Interval } from "../../../server/forecast/forecast-result";

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const count = (x: number) => Math.round(x).toLocaleString("en-US");

/** "lo–hi" of an interval, an open end where some refits never get there. */
function range(i: Interval, fmt: (x: number) => string, shift = 0): string {
  const lo = i.lo === null ? "?" : fmt(Math.max(0, i.lo - shift));
  const hi = i.hi === null ? "no bound" : fmt(Math.max(0, i.hi - shift));
  return `${lo}–${hi}`;
}

/** The pairs the largest run trained on: the "more" of both answers counts from there. */
export function largestRun(forecast: Forecast): number {
  return Math.max(...forecast.points.map((p) => p.train_pairs));
}

/** "To reach X % held-out accuracy: …", or null when the run was not asked. */
export function targetSentence(forecast: Forecast): string | null {
  const t = forecast.answers.target_accuracy;
  if (!t) return null;
  const head = `To reach ${pct(t.accuracy)} held-out accuracy:`;
  if (t.reachable && t.pairs?.value === null) return `${head} further out than the fit can count: the curve is nearly flat there, so more pairs alone will hardly get there.`;
  if (!t.reachable || !t.pairs || t.pairs.value === null) {
    const floor = t.floor.value === null ? "" : ` of the error, ${pct(t.floor.value)} (95 % ${range(t.floor, pct)}), caps accuracy at about ${pct(1 - t.floor.value)}`;
    return `${head} not reachable: the fitted floor${floor}.`;
  }
  const have = largestRun(forecast);
  const more = t.pairs.value - have;
  if (more <= 0) return `${head} reached already: the fit puts it at about ${count(t.pairs.value)} pairs, and the largest run had ${count(have)}.`;
  return `${head} about ${count(more)} more pairs (95 %: ${range(t.pairs, count, have)}), ${count(t.pairs.value)} in all.`;
}

/** "With N more pairs: accuracy A (95 % lo–hi)", or null when the run was not asked. */
export function morePairsSentence(forecast: Forecast): string | null {
  const m = forecast.answers.more_pairs;
  if (!m || m.accuracy.value === null) return null;
  const run = m.accuracy_new_run.lo !== null || m.accuracy_new_run.hi !== null ? `; one new run would measure ${range(m.accuracy_new_run, pct)}` : "";
  return `With ${count(m.more_pairs)} more pairs (${count(m.pairs)} in all): accuracy ${pct(m.accuracy.value)} (95 % ${range(m.accuracy, pct)})${run}.`;
}
