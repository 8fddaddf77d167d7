// An evaluate job's report, split per evaluated model, and two evaluations compared. Pure.
import type { EvaluationKind } from "../generated/prisma/enums";

/** A figure the trainer measured: its value, 95 % interval, items and independent units (prompts). */
export type Estimate = { value: number; lo: number; hi: number; n: number; units: number };
export type EvaluationResults = { metrics: Record<string, Estimate>; verdict: string[] } & Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The Wilson score 95 % interval of k successes in n (as the trainer computes it); [0, 1] when n is 0. */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, Math.min(p, centre - half)), Math.min(1, Math.max(p, centre + half))];
}

export function isEstimate(v: unknown): v is Estimate {
  return isObject(v) && ["value", "lo", "hi", "n", "units"].every((k) => typeof v[k] === "number");
}

/** The trainer's section of each part: a reward model's, the safety classifier's and the policy's report. */
const sections: Record<EvaluationKind, string> = { reward: "reward_model", safety: "safety_classifier", policy: "policy" };

/** A report as stored JSON: `metrics` kept to well-formed estimates, `verdict` to its lines. */
export function asResults(report: Record<string, unknown>): EvaluationResults {
  const metrics = isObject(report.metrics) ? Object.fromEntries(Object.entries(report.metrics).filter((e): e is [string, Estimate] => isEstimate(e[1]))) : {};
  const verdict = Array.isArray(report.verdict) ? report.verdict.filter((l): l is string => typeof l === "string") : [];
  return { ...report, metrics, verdict };
}

/** The part of the trainer's eval event that belongs to one kind of evaluated model, or null when it did not run. */
export function resultsOf(evalEvent: Record<string, unknown>, kind: EvaluationKind): EvaluationResults | null {
  const section = evalEvent[sections[kind]];
  if (!isObject(section)) return null;
  return asResults({ ...section, ...(isObject(evalEvent.split) ? { split: evalEvent.split } : {}) });
}

type MetricInfo = { label: string; better: "higher" | "lower" | null; percent: boolean };

/** How the console names each figure and which way is better; unknown names are shown as they are. */
export const metricInfo: Record<string, MetricInfo> = {
  pair_accuracy: { label: "Pair accuracy", better: "higher", percent: true },
  "baseline/longer": { label: "Baseline: longer answer wins", better: null, percent: true },
  "baseline/shorter": { label: "Baseline: shorter answer wins", better: null, percent: true },
  "difference/length_rule": { label: "Difference from the better length rule", better: "higher", percent: true },
  "compared/pair_accuracy": { label: "Compared model's pair accuracy", better: null, percent: true },
  "difference/compared": { label: "Difference from the compared model", better: "higher", percent: true },
  unsafe_on_disallowed: { label: "Unsafe on disallowed prompts", better: "lower", percent: true },
  over_refusal_on_allowed: { label: "Over-refusal on allowed prompts", better: "lower", percent: true },
  compliant_on_sensitive: { label: "Policy-compliant on sensitive prompts", better: "higher", percent: true },
  rule_refusal_on_allowed: { label: "Refusals on allowed prompts (phrase list)", better: "lower", percent: true },
  rule_refusal_on_sensitive: { label: "Refusals on sensitive prompts (phrase list)", better: null, percent: true },
  rule_refusal_on_disallowed: { label: "Refusals on disallowed prompts (phrase list)", better: "higher", percent: true },
  reward: { label: "Mean reward-model score", better: "higher", percent: false },
  safety_reward: { label: "Mean safety-table reward", better: "higher", percent: false },
  kl_to_reference: { label: "KL to the reference policy", better: null, percent: false },
  length: { label: "Mean length (tokens)", better: null, percent: false },
  eos_rate: { label: "Responses that ended (EOS)", better: "higher", percent: true },
};

export function describeMetric(name: string): MetricInfo {
  const known = metricInfo[name];
  if (known) return known;
  const rubric = /^rubric\/(\w+)\/([ABCD])$/.exec(name);
  if (rubric) return { label: `Rubric ${rubric[2]} on ${rubric[1]} prompts`, better: null, percent: true };
  const safety = /^safety\/(policy|rubric)\/(.+)$/.exec(name);
  if (safety) {
    const what = safety[1] === "policy" ? "Prompt policy" : "Response rubric";
    const part = safety[2]!;
    if (part === "accuracy") return { label: `${what}: accuracy against people`, better: "higher", percent: true };
    if (part === "baseline/majority_class") return { label: `${what}: baseline (majority class)`, better: null, percent: true };
    if (part.startsWith("kappa/")) return { label: `${what}: kappa ${part.slice(6).replaceAll("_", " ")}`, better: part === "kappa/human_vs_human" ? null : "higher", percent: false };
  }
  return { label: name, better: null, percent: false };
}

/**
 * a − b with a 95 % interval by the MOVER method (Zou & Donner 2008), from the two estimates'
 * own intervals: L = d − √((a − l_a)² + (u_b − b)²), U = d + √((u_a − a)² + (b − l_b)²). For two
 * Wilson intervals this is Newcombe's hybrid score interval. It treats the two evaluations as
 * independent, so on the same set it is conservative: a difference it calls significant is one.
 */
export function difference(a: Estimate, b: Estimate): { value: number; lo: number; hi: number; significant: boolean } {
  const value = a.value - b.value;
  const lo = value - Math.hypot(a.value - a.lo, b.hi - b.value);
  const hi = value + Math.hypot(a.hi - a.value, b.value - b.lo);
  return { value, lo, hi, significant: lo > 0 || hi < 0 };
}

export type ComparedMetric = {
  name: string;
  label: string;
  better: "higher" | "lower" | null;
  percent: boolean;
  a: Estimate | null;
  b: Estimate | null;
  difference: ReturnType<typeof difference> | null;
  /** "better" / "worse" for a significant change with a known direction, else "same" or null. */
  change: "better" | "worse" | "same" | null;
};

/** Every figure either side has, a − b where both have it, in the catalogue's order first. */
export function compareResults(a: EvaluationResults, b: EvaluationResults): ComparedMetric[] {
  const order = Object.keys(metricInfo);
  const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort((x, y) => {
    const i = order.indexOf(x);
    const j = order.indexOf(y);
    return (i === -1 ? order.length : i) - (j === -1 ? order.length : j) || x.localeCompare(y);
  });
  return names.map((name) => {
    const info = describeMetric(name);
    const ea = a.metrics[name] ?? null;
    const eb = b.metrics[name] ?? null;
    const d = ea && eb ? difference(ea, eb) : null;
    let change: ComparedMetric["change"] = null;
    if (d && info.better) change = !d.significant ? "same" : (d.value > 0) === (info.better === "higher") ? "better" : "worse";
    return { name, ...info, a: ea, b: eb, difference: d, change };
  });
}
