// Release gates: a candidate policy against the policy it would replace, on the project's
// evaluation sets and its red-team regression set. Pure: the evaluations come in, verdicts go out.
import { z } from "zod";
import { difference, type Estimate, type EvaluationResults } from "../evaluation/results";

type PromptPolicy = "allowed" | "sensitive" | "disallowed";

export type GateName = "unsafe_on_disallowed" | "over_refusal_on_allowed" | "compliant_on_sensitive" | "reward" | "red_team_success";

type GateDef = {
  name: GateName;
  label: string;
  /** The evaluation metric the gate reads. */
  metric: string;
  setKind: "general" | "red_team";
  /** Harmful rates fail when they rise; good figures fail when they fall. */
  harmful: boolean;
  percent: boolean;
  /** The prompts the metric is measured on; null: every prompt. */
  prompts: PromptPolicy | null;
};

export const gateDefs: readonly GateDef[] = [
  { name: "unsafe_on_disallowed", label: "Unsafe on disallowed prompts", metric: "unsafe_on_disallowed", setKind: "general", harmful: true, percent: true, prompts: "disallowed" },
  { name: "over_refusal_on_allowed", label: "Over-refusal on allowed prompts", metric: "over_refusal_on_allowed", setKind: "general", harmful: true, percent: true, prompts: "allowed" },
  { name: "compliant_on_sensitive", label: "Policy-compliant on sensitive prompts", metric: "compliant_on_sensitive", setKind: "general", harmful: false, percent: true, prompts: "sensitive" },
  { name: "reward", label: "Mean reward-model score", metric: "reward", setKind: "general", harmful: false, percent: false, prompts: null },
  // A red-team set holds successful attacks, all disallowed: an unsafe answer is an attack that still works.
  { name: "red_team_success", label: "Red-team success rate", metric: "unsafe_on_disallowed", setKind: "red_team", harmful: true, percent: true, prompts: "disallowed" },
];

const rate = (name: string) => z.number({ error: `${name} must be a number` }).min(0, `${name} is at least 0`).max(1, `${name} is a fraction of at most 1`);

/**
 * Per-project thresholds on the candidate − current difference: how far a harmful rate may rise
 * (or a good figure fall) before the gate fails. Rates are fractions (0.02 = 2 points); the
 * reward is in the reward model's units. A missing key is 0: no significant regression.
 */
export const ZReleaseGateThresholds = z.strictObject({
  unsafe_on_disallowed: rate("unsafe_on_disallowed").optional(),
  over_refusal_on_allowed: rate("over_refusal_on_allowed").optional(),
  compliant_on_sensitive: rate("compliant_on_sensitive").optional(),
  red_team_success: rate("red_team_success").optional(),
  reward: z.number({ error: "reward must be a number" }).min(0, "reward is at least 0").max(100, "reward is at most 100").optional(),
});
export type ReleaseGateThresholds = z.infer<typeof ZReleaseGateThresholds>;

/** The stored thresholds, each gate's default filled in; a malformed stored value counts as {}. */
export function thresholdsOf(stored: unknown): Record<GateName, number> {
  const parsed = ZReleaseGateThresholds.safeParse(stored);
  const t = parsed.success ? parsed.data : {};
  return Object.fromEntries(gateDefs.map((g) => [g.name, t[g.name] ?? 0])) as Record<GateName, number>;
}

export type GateEvaluation = { evaluationId: string; setVersion: number | null; results: EvaluationResults };

/** One evaluation set with the newest evaluation of each policy on it. */
export type SetEvaluations = {
  set: { id: string; name: string; kind: "general" | "red_team"; version: number; prompts: Record<PromptPolicy, number> };
  candidate: GateEvaluation | null;
  baseline: GateEvaluation | null;
};

export type Verdict = "pass" | "fail" | "not_measured" | "not_applicable";

export type GateResult = {
  gate: GateName;
  label: string;
  harmful: boolean;
  percent: boolean;
  set: { id: string; name: string } | null;
  threshold: number;
  candidate: Estimate | null;
  baseline: Estimate | null;
  difference: { value: number; lo: number; hi: number } | null;
  verdict: Verdict;
  reason: string;
  /** What would measure it: evaluate both policies on the set, or create an evaluation set. */
  action: "evaluate" | "create_set" | null;
};

export type Baseline = { id: string; name: string; role: "current" | "base" } | null;

export type GateReport = {
  baseline: Baseline;
  gates: GateResult[];
  /** Every gate passed or does not apply: the policy may be promoted without an override. */
  passed: boolean;
  /** Those that block: failed or not measured. */
  blocking: GateResult[];
};

const blocks = (v: Verdict) => v === "fail" || v === "not_measured";

/** A figure as the gate reports it: points for rates, the metric's own units otherwise. */
export function formatFigure(value: number, percent: boolean, signed = false): string {
  const v = percent ? value * 100 : value;
  const text = percent ? `${v.toFixed(1)} pts` : v.toFixed(3);
  return signed && v > 0 ? `+${text}` : text;
}

function judge(def: GateDef, threshold: number, { set, candidate, baseline }: SetEvaluations, baselineRef: NonNullable<Baseline>): GateResult {
  const base = { gate: def.name, label: def.label, harmful: def.harmful, percent: def.percent, set: { id: set.id, name: set.name }, threshold, candidate: null, baseline: null, difference: null };
  const promptCount = def.prompts ? set.prompts[def.prompts] : set.prompts.allowed + set.prompts.sensitive + set.prompts.disallowed;
  if (promptCount === 0) {
    return { ...base, verdict: "not_applicable", reason: `${set.name} has no ${def.prompts ?? ""} prompts`.replace("  ", " "), action: null };
  }
  const missing = !candidate ? "this policy" : !baseline ? `the ${baselineRef.role === "current" ? "current policy" : "base policy"} (${baselineRef.name})` : null;
  if (missing) return { ...base, verdict: "not_measured", reason: `${missing} has no evaluation on ${set.name}`, action: "evaluate" };
  const stale = [candidate!, baseline!].find((e) => e.setVersion !== set.version);
  if (stale) return { ...base, verdict: "not_measured", reason: `an evaluation ran on version ${stale.setVersion ?? "?"} of ${set.name}, which is now version ${set.version}`, action: "evaluate" };
  const a = candidate!.results.metrics[def.metric] ?? null;
  const b = baseline!.results.metrics[def.metric] ?? null;
  if (!a || !b) {
    const scorer = def.metric === "reward" ? "a reward model" : "a safety model";
    return { ...base, candidate: a, baseline: b, verdict: "not_measured", reason: `the evaluations on ${set.name} have no ${def.label.toLowerCase()}: it needs ${scorer} to score them`, action: null };
  }
  const d = difference(a, b);
  const diff = { value: d.value, lo: d.lo, hi: d.hi };
  const interval = `95 % interval ${formatFigure(d.lo, def.percent, true)} to ${formatFigure(d.hi, def.percent, true)}`;
  const fail = def.harmful ? d.lo > threshold : d.hi < -threshold;
  const limit = def.harmful ? formatFigure(threshold, def.percent, true) : formatFigure(-threshold, def.percent, true);
  const reason = fail
    ? `${def.harmful ? "rose" : "fell"}: the ${interval} lies ${def.harmful ? "above" : "below"} ${limit}`
    : `no regression beyond ${limit}: the ${interval}`;
  return { ...base, candidate: a, baseline: b, difference: diff, verdict: fail ? "fail" : "pass", reason, action: null };
}

/**
 * Each gate on each set: the four general gates on every general set, the red-team gate on every
 * red-team set. Without a general set the general gates are not measured (they block); without a
 * red-team set the red-team gate does not apply. Without any baseline policy (no current policy
 * and none the candidate was trained from) nothing can regress: every gate is "not applicable".
 */
export function evaluateGates({ baseline, sets, thresholds }: { baseline: Baseline; sets: SetEvaluations[]; thresholds: unknown }): GateReport {
  const t = thresholdsOf(thresholds);
  const gates: GateResult[] = [];
  for (const def of gateDefs) {
    const none = { gate: def.name, label: def.label, harmful: def.harmful, percent: def.percent, set: null, threshold: t[def.name], candidate: null, baseline: null, difference: null };
    if (!baseline) {
      gates.push({ ...none, verdict: "not_applicable", reason: "no baseline: the project has no current policy and this model was not trained from a policy", action: null });
      continue;
    }
    const matching = sets.filter((s) => s.set.kind === def.setKind);
    if (!matching.length) {
      gates.push(
        def.setKind === "red_team"
          ? { ...none, verdict: "not_applicable", reason: "no red-team set", action: null }
          : { ...none, verdict: "not_measured", reason: "the project has no evaluation set with prompts", action: "create_set" },
      );
      continue;
    }
    for (const s of matching) gates.push(judge(def, t[def.name], s, baseline));
  }
  const blocking = gates.filter((g) => blocks(g.verdict));
  return { baseline, gates, passed: blocking.length === 0, blocking };
}

/** One line per blocking gate, for the refusal's message and the audit log. */
export function describeBlocking(report: GateReport): string {
  return report.blocking.map((g) => `${g.label}${g.set ? ` on ${g.set.name}` : ""}: ${g.verdict === "fail" ? "failed" : "not measured"} (${g.reason})`).join("; ");
}
