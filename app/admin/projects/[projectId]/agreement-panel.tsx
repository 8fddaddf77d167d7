"use client";

import { decimal, percent } from "../../../components/format";
import { Panel } from "../../../components/panel";
import type { PositionBias, Quality } from "../types";

type Alpha = Quality["agreement"]["rankingAlpha"];

function Metric({ label, value, detail, hint, testId }: { label: React.ReactNode; value: string; detail?: string; hint?: string | null; testId?: string }) {
  return (
    <div className="rounded-md border border-slate-200 p-3" data-testid={testId}>
      <p className="stat-label">{label}</p>
      <p className="text-xl font-semibold tabular-nums" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </p>
      {detail && <p className="text-xs text-slate-500">{detail}</p>}
      {hint && <p className="text-xs text-amber-700">{hint}</p>}
    </div>
  );
}

/** Labels are upper-cased, which would turn τ and α into look-alikes of T and A. */
const greek = (letter: string) => <span className="normal-case">{letter}</span>;

/** Why an alpha is undefined, in words: nothing labelled twice, or no variation at all. */
function alphaHint(a: Alpha): string | null {
  if (a.alpha !== null) return null;
  if (a.units === 0) return "Not enough data: needs items labelled by two or more annotators.";
  return "Undefined: every annotator gave the same value, so there is no variation to measure.";
}

function AlphaMetric({ label, result, testId, quiet }: { label: React.ReactNode; result: Alpha; testId: string; quiet: boolean }) {
  return (
    <Metric
      label={label}
      value={decimal(result.alpha)}
      detail={result.units ? `${result.units} units, ${result.pairableValues} pairable values` : undefined}
      hint={quiet ? null : alphaHint(result)}
      testId={testId}
    />
  );
}

export function AgreementPanel({ agreement }: { agreement: Quality["agreement"] }) {
  const p = agreement.pairwise;
  const none = agreement.multiplyLabelledTasks === 0;
  return (
    <Panel title="Agreement">
      <p className="text-sm text-slate-600">
        {none
          ? "Not enough data yet: agreement needs tasks labelled by two or more annotators, and appears as the overlap fills."
          : `Across ${agreement.multiplyLabelledTasks} task(s) labelled by two or more annotators. Rejected annotations are left out.`}
      </p>
      <div className="grid gap-2 sm:grid-cols-2">
        <Metric
          label="Pairwise preference agreement"
          value={percent(p.agreement, 1)}
          detail={p.comparisons ? `${p.agreements} of ${p.comparisons} comparisons agree, over ${p.tasks} task(s)` : undefined}
          hint={p.agreement === null && !none ? "Not enough data: needs tasks ranked by two or more annotators." : null}
          testId="pairwise-agreement"
        />
        <Metric
          label={<>Mean Kendall {greek("τ")}</>}
          value={decimal(agreement.meanKendallTau)}
          detail={agreement.meanKendallTau !== null ? "Rank correlation per pair of annotators, −1 to 1" : undefined}
          hint={agreement.meanKendallTau === null && !none ? "Undefined: the rankings compared have no variation." : null}
          testId="kendall-tau"
        />
        <AlphaMetric label={<>Krippendorff {greek("α")} · ranking (ordinal)</>} result={agreement.rankingAlpha} testId="alpha-ranking" quiet={none} />
        <AlphaMetric label={<>{greek("α")} · prompt policy (nominal)</>} result={agreement.promptPolicyAlpha} testId="alpha-policy" quiet={none} />
        <AlphaMetric label={<>{greek("α")} · harm category (nominal)</>} result={agreement.harmCategoryAlpha} testId="alpha-harm" quiet={none} />
        <AlphaMetric label={<>{greek("α")} · rubric grade (nominal)</>} result={agreement.rubricAlpha} testId="alpha-rubric" quiet={none} />
      </div>
      <p className="text-xs text-slate-500">α above 0.8 is reliable; 0.67–0.8 allows tentative conclusions (Krippendorff).</p>
    </Panel>
  );
}

/**
 * The 95% interval as a band on a 0–100% track, the observed rate as a dot and the chance rate as
 * a line: bias shows as a band that does not cross the line.
 */
export function BiasBar({ bias, compact = false }: { bias: PositionBias; compact?: boolean }) {
  const pos = (x: number) => `${Math.max(0, Math.min(1, x)) * 100}%`;
  return (
    <div className={`relative ${compact ? "h-3 w-16 shrink-0" : "h-5 w-full"} rounded-full bg-slate-100`} aria-hidden>
      {bias.rate !== null && (
        <>
          <div
            className={`absolute inset-y-0.5 rounded-full ${bias.biased ? "bg-amber-300" : "bg-indigo-200"}`}
            style={{ left: pos(bias.lower), width: `calc(${pos(bias.upper)} - ${pos(bias.lower)})` }}
          />
          <div
            className={`absolute top-1/2 ${compact ? "size-2" : "size-3"} -translate-x-1/2 -translate-y-1/2 rounded-full ${bias.biased ? "bg-amber-600" : "bg-indigo-600"}`}
            style={{ left: pos(bias.rate) }}
          />
        </>
      )}
      <div className="absolute inset-y-0 w-0.5 -translate-x-1/2 bg-slate-700" style={{ left: pos(bias.chance) }} title="chance" />
    </div>
  );
}

export function biasSummary(bias: PositionBias): string {
  if (bias.rate === null) return "No decisive rankings yet";
  return `${percent(bias.rate)} (95% CI ${percent(bias.lower)}–${percent(bias.upper)}, n=${bias.decisive})`;
}

export function PositionBiasPanel({ bias, mode }: { bias: PositionBias; mode: "rank" | "pairwise" }) {
  return (
    <Panel title="Position bias">
      <p className="text-sm text-slate-600">
        How often the response shown first ({mode === "pairwise" ? "on the left" : "as A"}) came out alone on top, against the{" "}
        {percent(bias.chance)} expected if position did not matter.
      </p>
      <div className="space-y-2" data-testid="position-bias">
        <p className="text-xl font-semibold tabular-nums">{bias.rate === null ? "–" : percent(bias.rate, 1)}</p>
        <BiasBar bias={bias} />
        <div className="flex justify-between text-xs text-slate-500">
          <span>0%</span>
          <span>chance {percent(bias.chance)}</span>
          <span>100%</span>
        </div>
        {bias.rate === null ? (
          <p className="text-sm text-slate-500">No decisive rankings yet (ties at the top do not count).</p>
        ) : (
          <p className={`text-sm ${bias.biased ? "text-amber-800" : "text-slate-600"}`}>
            95% CI {percent(bias.lower, 1)}–{percent(bias.upper, 1)} over {bias.decisive} decisive ranking(s).{" "}
            {bias.biased ? "⚠ Chance lies outside the interval: annotators favour a position." : "Consistent with chance."}
          </p>
        )}
      </div>
    </Panel>
  );
}
