"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { GateResult, Verdict } from "../../../server/release/gates";
import { minOverrideReason } from "../../../server/release/release.schema";
import { EstimateText, formatValue } from "../../components/estimate";
import { ErrorText } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

const verdictStyle: Record<Verdict, string> = {
  pass: "bg-emerald-100 text-emerald-800",
  fail: "bg-red-100 text-red-800",
  not_measured: "bg-amber-100 text-amber-800",
  not_applicable: "bg-slate-100 text-slate-600",
};
export const verdictWords: Record<Verdict, string> = { pass: "pass", fail: "fail", not_measured: "not measured", not_applicable: "does not apply" };

export function VerdictBadge({ verdict }: { verdict: Verdict }) {
  return <span className={`whitespace-nowrap rounded px-1.5 py-0.5 text-xs ${verdictStyle[verdict]}`}>{verdictWords[verdict]}</span>;
}

function GateRow({ g }: { g: GateResult }) {
  const d = g.difference;
  return (
    <tr data-testid="release-gate" data-gate={g.gate} data-verdict={g.verdict} className="border-t border-slate-100 align-top">
      <td className="py-1 pr-3">
        {g.label}
        {g.set && <span className="block text-xs text-slate-500">on {g.set.name}</span>}
      </td>
      <td className="py-1 pr-3">
        <EstimateText e={g.baseline} percent={g.percent} />
      </td>
      <td className="py-1 pr-3">
        <EstimateText e={g.candidate} percent={g.percent} />
      </td>
      <td className="whitespace-nowrap py-1 pr-3 font-mono">
        {d ? (
          <>
            {formatValue(d.value, g.percent, true)}{" "}
            <span className="text-xs text-slate-500">
              ({formatValue(d.lo, g.percent, true)} – {formatValue(d.hi, g.percent, true)})
            </span>
          </>
        ) : (
          <span className="text-slate-400">—</span>
        )}
      </td>
      <td className="py-1 pr-3">
        <VerdictBadge verdict={g.verdict} />
        <span className="block text-xs text-slate-600">{g.reason}</span>
      </td>
    </tr>
  );
}

/**
 * The release gates of promoting a policy in a project, and the promote action they allow: Promote
 * when every gate passes, else "Override and promote" with a written reason. The model's page and
 * the Training loop's promote step both show this one panel; each passes its own promote call.
 */
export function ReleaseGatePanel({
  modelVersionId,
  projectId,
  onPromote,
  promoting,
  error,
  disabled = false,
}: {
  modelVersionId: string;
  projectId: string;
  onPromote: (overrideReason?: string) => void;
  promoting: boolean;
  error?: string | null;
  disabled?: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const gates = useQuery({
    ...trpc.models.gates.queryOptions({ modelVersionId, projectId }),
    // While the evaluations it waits for run, look again now and then.
    refetchInterval: (q) => (q.state.data?.pendingEvaluations ? 5000 : false),
  });
  const evaluate = useMutation(trpc.models.evaluateForGates.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.models.gates.queryKey({ modelVersionId, projectId }) }) }));
  const g = gates.data;
  if (gates.error) return <ErrorText message={gates.error.message} />;
  if (!g) return <p className="text-sm text-slate-500">Loading the release gates…</p>;

  const needsEvaluation = g.gates.some((x) => x.action === "evaluate");
  const needsSet = g.gates.some((x) => x.action === "create_set");
  const trimmed = reason.trim();
  return (
    <div className="space-y-2 rounded border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="release-gates">
      <p className="text-slate-700">
        Release gates:{" "}
        {g.baseline ? (
          <>
            {g.candidate.name} against the {g.baseline.role === "current" ? "current policy" : "policy it was trained from"} <span className="font-medium">{g.baseline.name}</span>
          </>
        ) : (
          <>no baseline: {g.project.name} has no current policy and this model was not trained from a policy</>
        )}
        . A harmful rate fails when the 95 % interval of its rise lies above the project&apos;s threshold; a good figure when that of its fall lies below it.
      </p>
      <table className="w-full text-left">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="pr-3 font-medium">gate</th>
            <th className="pr-3 font-medium">{g.baseline?.role === "base" ? "base" : "current"}</th>
            <th className="pr-3 font-medium">this policy</th>
            <th className="pr-3 font-medium">difference (95 % interval)</th>
            <th className="pr-3 font-medium">verdict</th>
          </tr>
        </thead>
        <tbody>
          {g.gates.map((x) => (
            <GateRow key={`${x.gate}:${x.set?.id ?? "none"}`} g={x} />
          ))}
        </tbody>
      </table>
      {g.pendingEvaluations > 0 && <p className="text-slate-600">{g.pendingEvaluations} evaluation runs queued or running…</p>}
      <div className="flex flex-wrap items-center gap-2">
        {needsEvaluation && (
          <button type="button" className="btn" disabled={evaluate.isPending || g.pendingEvaluations > 0} onClick={() => evaluate.mutate({ modelVersionId, projectId })}>
            Evaluate both
          </button>
        )}
        {needsSet && (
          <Link href={`/admin/projects/${projectId}/evaluation`} className="text-blue-700 underline">
            Create an evaluation set
          </Link>
        )}
      </div>
      {evaluate.data && evaluate.data.jobIds.length === 0 && <p className="text-slate-600">Nothing to queue: both are evaluated on every set, or an evaluation is already running.</p>}
      <ErrorText message={evaluate.error?.message} />
      {g.passed ? (
        <button type="button" className="btn btn-primary" disabled={disabled || promoting} onClick={() => onPromote()}>
          Promote
        </button>
      ) : (
        <div className="space-y-1">
          <label className="block text-slate-700">
            Reason for overriding the gates that did not pass (kept and shown on the model&apos;s page)
            <textarea
              aria-label="Override reason"
              className="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
              rows={2}
              maxLength={2000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          {trimmed.length > 0 && trimmed.length < minOverrideReason && <p className="text-xs text-slate-500">At least {minOverrideReason} characters.</p>}
          <button type="button" className="btn btn-danger" disabled={disabled || promoting || trimmed.length < minOverrideReason} onClick={() => onPromote(trimmed)}>
            Override and promote
          </button>
        </div>
      )}
      <ErrorText message={error} />
    </div>
  );
}
