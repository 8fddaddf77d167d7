"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { SuccessRate } from "../../../server/red-team/dashboard";
import { EstimateText } from "../../components/estimate";
import { dateTime } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { CampaignActions } from "./campaign-actions";

function RateTable({ caption, rows, label }: { caption: string; rows: (SuccessRate & { name?: string })[]; label: string }) {
  return (
    <table className="w-full text-left text-sm" aria-label={caption}>
      <caption className="pb-1 text-left font-medium">{caption}</caption>
      <thead className="border-b text-slate-500">
        <tr>
          <th className="py-1">{label}</th>
          <th>Attempts</th>
          <th>Successes</th>
          <th>Success rate (95 % interval)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} className="border-b last:border-0">
            <td className="py-1">{r.name ?? r.key}</td>
            <td>{r.attempts}</td>
            <td>{r.successes}</td>
            <td>
              <EstimateText e={{ value: r.rate, lo: r.lo, hi: r.hi, n: r.attempts, units: r.attempts }} percent />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A campaign: its goals, success rates by category, tactic and version, replays, and every attempt (as text). */
export function CampaignDashboard({ campaignId, isAdmin }: { campaignId: string; isAdmin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const view = useQuery({ ...trpc.redTeam.campaign.queryOptions({ campaignId }), refetchInterval: (q) => (q.state.data?.replays.pending ? 3000 : false) });
  const [open, setOpen] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.redTeam.pathKey() });
  const close = useMutation(trpc.redTeam.closeCampaign.mutationOptions({ onSuccess: refresh }));
  if (view.error) return <ErrorText message={view.error.message} />;
  const data = view.data;
  if (!data) return <p className="text-sm text-slate-500">Loading…</p>;
  const { campaign, figures, replays, attempts } = data;

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="grow">{campaign.name}</h1>
        {!campaign.closedAt && (
          <Link className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white" href={`/playground?campaign=${campaign.id}&model=${campaign.targetModelId}`}>
            Attack in the Playground
          </Link>
        )}
        {isAdmin && !campaign.closedAt && (
          <button type="button" className="rounded border border-slate-300 px-3 py-1.5 text-sm" onClick={() => close.mutate({ campaignId })}>
            Close campaign
          </button>
        )}
      </div>
      <ErrorText message={close.error?.message} />
      <Panel title="Goals">
        <p className="text-sm text-slate-600">
          Target: <span className="font-medium">{campaign.targetModel.name}</span>
          {campaign.domains.length > 0 && <> · Domains: {campaign.domains.join(", ")}</>}
          {campaign.closedAt ? ` · closed ${dateTime(campaign.closedAt)}` : " · open"}
        </p>
        {campaign.description && <p className="whitespace-pre-wrap text-sm">{campaign.description}</p>}
        <ul className="list-disc pl-5 text-sm">
          {campaign.goals.map((g) => (
            <li key={g.category}>
              <span className="font-medium">{g.category}</span>: {g.goal}
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title="Success rate">
        <p className="text-sm" data-testid="overall-success">
          {figures.overall.successes} successful of {figures.overall.attempts} attempts:{" "}
          <EstimateText e={{ value: figures.overall.rate, lo: figures.overall.lo, hi: figures.overall.hi, n: figures.overall.attempts, units: figures.overall.attempts }} percent />
        </p>
        <div className="grid gap-6 lg:grid-cols-3">
          <RateTable caption="By harm category" label="Category" rows={figures.byCategory} />
          <RateTable caption="By tactic" label="Tactic" rows={figures.byTactic} />
          <RateTable caption="By model version" label="Version" rows={figures.byModel} />
        </div>
      </Panel>
      {isAdmin && <CampaignActions campaignId={campaignId} projectId={campaign.projectId} waiting={attempts.filter((a) => a.success && !a.sendJobId).length} />}
      <Panel title="Replays against other versions">
        {replays.pending > 0 && <p className="text-sm text-slate-600">{replays.pending} replay(s) running…</p>}
        {replays.replays.length === 0 ? (
          <p className="text-sm text-slate-500">No replay yet. Successful attacks sent on enter the project&apos;s red-team regression set; a replay samples a version on it and the safety classifier grades the answers.</p>
        ) : (
          <table className="w-full text-left text-sm" aria-label="Replays">
            <thead className="border-b text-slate-500">
              <tr>
                <th className="py-1">Version</th>
                <th>Attacks that still work</th>
                <th>Share (95 % interval)</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {replays.replays.map((r) => (
                <tr key={r.evaluationId} className="border-b last:border-0">
                  <td className="py-1">{r.modelName}</td>
                  <td>
                    {r.stillWorking} of {r.replayed}
                  </td>
                  <td>
                    <EstimateText e={{ value: r.rate, lo: r.lo, hi: r.hi, n: r.replayed, units: r.replayed }} percent />
                  </td>
                  <td>{dateTime(r.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel title={`Attempts (${attempts.length})`}>
        <ul className="divide-y text-sm">
          {attempts.map((a) => (
            <li key={a.id} className="space-y-1 py-2" data-testid="attempt">
              <div className="flex flex-wrap items-center gap-2">
                <span className={`rounded px-1.5 py-0.5 text-xs ${a.success ? "bg-red-100 text-red-800" : "bg-slate-100 text-slate-700"}`}>{a.success ? "success" : "no success"}</span>
                <span>
                  grade {a.grade} · {a.promptPolicy} · {a.harmCategory}
                  {a.domain ? ` · ${a.domain}` : ""} · {a.modelVersion.name} · {a.author?.name ?? "someone"} · {dateTime(a.createdAt)}
                </span>
                <span className="text-slate-500">{a.tactics.join(", ")}</span>
                {a.regressionPromptId && <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">in regression set</span>}
                {a.taskId ? (
                  <span className="rounded bg-emerald-100 px-1.5 py-0.5 text-xs text-emerald-800">labelling task made</span>
                ) : (
                  a.sendJobId && <span className="text-xs text-slate-500">task being generated…</span>
                )}
                {replays.replays.map((r) => {
                  const o = a.regressionPromptId ? r.byPrompt[a.regressionPromptId] : undefined;
                  return o ? (
                    <span key={r.evaluationId} className={`rounded px-1.5 py-0.5 text-xs ${o.stillWorks ? "bg-red-50 text-red-700" : "bg-emerald-50 text-emerald-700"}`}>
                      {r.modelName}: {o.stillWorks ? `still works (${o.unsafe}/${o.samples})` : "blocked"}
                    </span>
                  ) : null;
                })}
                <button type="button" className="ml-auto text-blue-700 underline" onClick={() => setOpen(open === a.id ? null : a.id)}>
                  {open === a.id ? "Hide conversation" : "Show conversation"}
                </button>
              </div>
              {a.tacticNote && <p className="text-slate-600">{a.tacticNote}</p>}
              {open === a.id && (
                <ol className="space-y-1 rounded bg-slate-50 p-2">
                  {a.messages.map((m, i) => (
                    <li key={i}>
                      <span className="font-medium">{m.role}:</span> <span className="whitespace-pre-wrap">{m.content}</span>
                    </li>
                  ))}
                </ol>
              )}
            </li>
          ))}
        </ul>
      </Panel>
    </div>
  );
}
