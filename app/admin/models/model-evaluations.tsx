"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { describeMetric, type Estimate, type EvaluationResults } from "../../../server/evaluation/results";
import { EstimateText } from "../../components/estimate";
import { dateTime, shortId } from "../../components/format";
import { ErrorText } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

const kindTitle = { reward: "Reward model on held-out comparisons", safety: "Safety classifier against the annotators", policy: "Policy on an evaluation set" } as const;

/** Figures shown first; the rest (rubric mixes, per-class) sit under "All figures". */
const leading = [
  "pair_accuracy",
  "baseline/longer",
  "baseline/shorter",
  "difference/length_rule",
  "compared/pair_accuracy",
  "difference/compared",
  "unsafe_on_disallowed",
  "over_refusal_on_allowed",
  "compliant_on_sensitive",
  "rule_refusal_on_allowed",
  "rule_refusal_on_disallowed",
  "reward",
  "kl_to_reference",
  "length",
  "safety/policy/accuracy",
  "safety/policy/baseline/majority_class",
  "safety/policy/kappa/model_vs_human_on_multi",
  "safety/policy/kappa/human_vs_human",
  "safety/rubric/accuracy",
  "safety/rubric/baseline/majority_class",
  "safety/rubric/kappa/model_vs_human_on_multi",
  "safety/rubric/kappa/human_vs_human",
];

export function MetricsTable({ metrics, names }: { metrics: Record<string, Estimate>; names: string[] }) {
  return (
    <table className="w-full text-left text-sm">
      <thead className="border-b text-xs text-slate-500">
        <tr>
          <th className="py-1">Figure</th>
          <th>Value (95 % interval)</th>
          <th>Items (prompts)</th>
        </tr>
      </thead>
      <tbody>
        {names.map((name) => {
          const info = describeMetric(name);
          const e = metrics[name]!;
          return (
            <tr key={name} className="border-b last:border-0" data-testid="evaluation-metric" data-metric={name}>
              <td className="py-1 pr-2">{info.label}</td>
              <td className="py-1 pr-2">
                <EstimateText e={e} percent={info.percent} />
              </td>
              <td className="py-1 text-xs text-slate-500">
                {e.n} ({e.units})
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

type Slices = Record<string, Record<string, Record<string, Estimate>>>;

function SliceTables({ slices }: { slices: Slices }) {
  const names = { policy: "prompt policy", category: "harm category", source: "source", strength: "preference strength" } as Record<string, string>;
  return (
    <div className="grid gap-3 md:grid-cols-2">
      {Object.entries(slices).map(([field, table]) => (
        <table key={field} className="text-left text-xs">
          <caption className="text-left font-medium">By {names[field] ?? field}</caption>
          <thead className="text-slate-500">
            <tr>
              <th className="pr-3">{names[field] ?? field}</th>
              <th className="pr-3">Pair accuracy</th>
              <th>Longer answer wins</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(table).map(([value, m]) => (
              <tr key={value}>
                <td className="pr-3">{value}</td>
                <td className="pr-3">
                  <EstimateText e={m.pair_accuracy} percent />
                </td>
                <td>
                  <EstimateText e={m["baseline/longer"]} percent />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}

type CalibrationBin = { lo: number; hi: number; mean_predicted: number; observed: number; count: number };

/** Reliability bins of sigmoid(r_chosen − r_rejected): a calibrated model has observed ≈ predicted. */
function CalibrationTable({ bins, ece }: { bins: CalibrationBin[]; ece: number | undefined }) {
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  return (
    <table className="text-left text-xs" data-testid="calibration">
      <caption className="text-left font-medium">Calibration{typeof ece === "number" ? ` (expected calibration error ${ece.toFixed(3)})` : ""}</caption>
      <thead className="text-slate-500">
        <tr>
          <th className="pr-3">P(chosen wins) bin</th>
          <th className="pr-3">Predicted</th>
          <th className="pr-3">Observed</th>
          <th>Points</th>
        </tr>
      </thead>
      <tbody>
        {bins.map((b) => (
          <tr key={b.lo}>
            <td className="pr-3">
              {pct(b.lo)} – {pct(b.hi)}
            </td>
            <td className="pr-3">{pct(b.mean_predicted)}</td>
            <td className="pr-3">{pct(b.observed)}</td>
            <td>{b.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type ClassReport = { labels: number; classes: string[]; confusion: number[][]; per_class: Record<string, { precision: number | null; recall: number | null; f1: number | null; support: number }> };

function ClassTables({ report, title }: { report: ClassReport; title: string }) {
  const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(0)} %`);
  return (
    <div className="space-y-1 text-xs">
      <p className="font-medium">{title}</p>
      <table className="text-left">
        <thead className="text-slate-500">
          <tr>
            <th className="pr-3">Class</th>
            <th className="pr-3">Precision</th>
            <th className="pr-3">Recall</th>
            <th className="pr-3">F1</th>
            <th>Human labels</th>
          </tr>
        </thead>
        <tbody>
          {report.classes.map((c) => (
            <tr key={c}>
              <td className="pr-3">{c}</td>
              <td className="pr-3">{pct(report.per_class[c]?.precision ?? null)}</td>
              <td className="pr-3">{pct(report.per_class[c]?.recall ?? null)}</td>
              <td className="pr-3">{pct(report.per_class[c]?.f1 ?? null)}</td>
              <td>{report.per_class[c]?.support ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="text-center" aria-label={`${title}: confusion matrix`}>
        <thead className="text-slate-500">
          <tr>
            <th className="pr-2 text-left">people ↓ / model →</th>
            {report.classes.map((c) => (
              <th key={c} className="px-2">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {report.confusion.map((row, i) => (
            <tr key={report.classes[i]}>
              <th className="pr-2 text-left font-normal text-slate-500">{report.classes[i]}</th>
              {row.map((n, j) => (
                <td key={j} className={`px-2 ${i === j ? "font-semibold" : ""}`}>
                  {n}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SpotCheck({ evaluationId }: { evaluationId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [prompts, setPrompts] = useState(10);
  const report = useQuery(trpc.evaluation.spotCheckReport.queryOptions({ evaluationId }));
  const send = useMutation(trpc.evaluation.spotCheck.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.evaluation.spotCheckReport.queryKey({ evaluationId }) }) }));
  const r = report.data;
  return (
    <div className="space-y-2 rounded border border-slate-200 p-3" data-testid="spot-check">
      <p className="font-medium">Human spot check</p>
      <p className="text-xs text-slate-600">
        Sends a sample of this evaluation&apos;s prompts, with the policy&apos;s responses, to the annotators as tasks; their rubric rates then stand next to the
        classifier&apos;s. These prompts stay out of training snapshots.
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          send.mutate({ evaluationId, prompts });
        }}
      >
        <label className="text-sm">
          Prompts
          <input type="number" min={1} max={500} value={prompts} onChange={(e) => setPrompts(Number(e.target.value))} className="ml-2 w-20 rounded border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" className="btn" disabled={send.isPending || !(prompts >= 1)}>
          Send to annotators
        </button>
        {send.data && (
          <span className="text-sm text-slate-700" role="status">
            {send.data.tasksCreated} new task{send.data.tasksCreated === 1 ? "" : "s"}
            {send.data.duplicates ? `; ${send.data.duplicates} already sent` : ""}
            {send.data.skipped.length ? `; ${send.data.skipped.length} left out (${send.data.skipped[0]!.error})` : ""}.{" "}
            <Link className="text-blue-700 underline" href={`/label/${send.data.projectId}`}>
              Label them
            </Link>
          </span>
        )}
      </form>
      <ErrorText message={send.error?.message ?? report.error?.message} />
      {r && (
        <div className="space-y-1 text-sm" data-testid="spot-check-report">
          <p>
            {r.labelledTasks} of {r.tasks} tasks labelled ({r.labels} response labels).
            {r.agreement && (
              <>
                {" "}
                People and the classifier agree on <EstimateText e={r.agreement} percent /> of the responses.
              </>
            )}
          </p>
          {r.rates.length > 0 && (
            <table className="text-left text-sm">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="pr-3">Rate</th>
                  <th className="pr-3">People</th>
                  <th>Classifier, same responses</th>
                </tr>
              </thead>
              <tbody>
                {r.rates.map((rate) => (
                  <tr key={rate.name}>
                    <td className="pr-3">{describeMetric(rate.name).label}</td>
                    <td className="pr-3">
                      <EstimateText e={rate.people} percent />
                    </td>
                    <td>
                      <EstimateText e={rate.classifier} percent />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}

function CompareWith({ evaluationId }: { evaluationId: string }) {
  const trpc = useTRPC();
  const candidates = useQuery(trpc.evaluation.comparable.queryOptions({ evaluationId }));
  const [other, setOther] = useState("");
  const list = candidates.data ?? [];
  if (!list.length) return <p className="text-xs text-slate-500">No other evaluation of this kind{candidates.isPending ? "" : " on the same prompts"} to compare with yet.</p>;
  const chosen = other || list[0]!.id;
  return (
    <div className="flex flex-wrap items-end gap-2 text-sm">
      <label>
        Compare with
        <select aria-label="Evaluation to compare with" className="ml-2 rounded border border-slate-300 px-2 py-1" value={chosen} onChange={(e) => setOther(e.target.value)}>
          {list.map((c) => (
            <option key={c.id} value={c.id}>
              {c.modelVersion.name} · {dateTime(c.createdAt)}
              {c.setVersion !== null ? ` · set v${c.setVersion}` : ""}
            </option>
          ))}
        </select>
      </label>
      <Link href={`/admin/models/compare?a=${evaluationId}&b=${chosen}`} className="btn">
        Compare
      </Link>
    </div>
  );
}

type EvaluationView = {
  id: string;
  kind: "reward" | "safety" | "policy";
  jobId: string;
  createdAt: Date;
  split: string | null;
  snapshotId: string | null;
  setVersion: number | null;
  evaluationSet: { id: string; name: string; version: number } | null;
  results: EvaluationResults;
};

export function EvaluationCard({ evaluation: e, spotCheck = true }: { evaluation: EvaluationView; spotCheck?: boolean }) {
  const names = Object.keys(e.results.metrics);
  const first = leading.filter((n) => names.includes(n));
  const rest = names.filter((n) => !first.includes(n));
  const results = e.results as EvaluationResults & { slices?: Slices; policy?: ClassReport; rubric?: ClassReport; calibration?: CalibrationBin[]; ece?: number };
  return (
    <div className="space-y-2 rounded border border-slate-200 bg-white p-3" data-testid="evaluation-card" data-kind={e.kind}>
      <div className="flex flex-wrap items-baseline gap-x-3">
        <p className="font-medium">{kindTitle[e.kind]}</p>
        <p className="text-xs text-slate-500">
          {e.evaluationSet && (
            <>
              set <span className="font-medium">{e.evaluationSet.name}</span> (version {e.setVersion}
              {e.setVersion !== e.evaluationSet.version ? `; now ${e.evaluationSet.version}` : ""}) ·{" "}
            </>
          )}
          {e.snapshotId && <>snapshot {shortId(e.snapshotId)} · </>}
          {e.kind !== "policy" && (e.split ? <>held-out prompts of split {e.split} · </> : <>every item of the snapshot · </>)}
          {dateTime(e.createdAt)} ·{" "}
          <Link href={`/admin/runs/${e.jobId}`} className="text-blue-700 underline">
            run {shortId(e.jobId)}
          </Link>
        </p>
      </div>
      {e.results.verdict.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-sm text-slate-800" data-testid="evaluation-verdict">
          {e.results.verdict.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <MetricsTable metrics={e.results.metrics} names={first} />
      {(rest.length > 0 || results.slices || results.calibration || results.policy || results.rubric) && (
        <details>
          <summary className="cursor-pointer text-sm text-slate-500">All figures</summary>
          <div className="mt-2 space-y-3">
            {rest.length > 0 && <MetricsTable metrics={e.results.metrics} names={rest} />}
            {results.slices && <SliceTables slices={results.slices} />}
            {results.calibration && <CalibrationTable bins={results.calibration} ece={results.ece} />}
            {e.kind === "safety" && (
              <div className="grid gap-3 md:grid-cols-2">
                {results.policy && <ClassTables report={results.policy} title="Prompt policy" />}
                {results.rubric && <ClassTables report={results.rubric} title="Response rubric" />}
              </div>
            )}
          </div>
        </details>
      )}
      <CompareWith evaluationId={e.id} />
      {spotCheck && e.kind === "policy" && e.evaluationSet && <SpotCheck evaluationId={e.id} />}
    </div>
  );
}

/** A model version's evaluations, newest first. */
export function ModelEvaluations({ modelVersionId }: { modelVersionId: string }) {
  const trpc = useTRPC();
  const evaluations = useQuery(trpc.evaluation.forModel.queryOptions({ modelVersionId }));
  if (evaluations.error) return <ErrorText message={evaluations.error.message} />;
  if (!evaluations.data) return <p className="text-slate-500">Loading evaluations…</p>;
  if (!evaluations.data.length) {
    return <p className="text-slate-500">Not evaluated yet. Policies are evaluated on the project&apos;s evaluation sets after each training run and promote.</p>;
  }
  return (
    <div className="space-y-2">
      {evaluations.data.map((e) => (
        <EvaluationCard key={e.id} evaluation={e} />
      ))}
    </div>
  );
}
