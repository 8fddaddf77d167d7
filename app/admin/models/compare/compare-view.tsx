"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DifferenceText, EstimateText } from "../../../components/estimate";
import { dateTime } from "../../../components/format";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";

type Sample = { response: string; rubric?: string; reward?: number; refusal?: boolean };

function Responses({ samples }: { samples: Sample[] }) {
  if (!samples.length) return <p className="text-slate-400">–</p>;
  return (
    <div className="space-y-2">
      {samples.map((s, i) => (
        <div key={i} className="rounded border border-slate-200 bg-white p-2">
          {/* Model output is untrusted text: shown as text, never as HTML. */}
          <p className="whitespace-pre-wrap break-words text-sm">{s.response || <span className="text-slate-400">(empty)</span>}</p>
          <p className="mt-1 space-x-2 text-xs text-slate-500">
            {s.rubric && <span>rubric {s.rubric}</span>}
            {typeof s.reward === "number" && <span>reward {s.reward.toFixed(2)}</span>}
            {s.refusal && <span>refusal (phrase list)</span>}
          </p>
        </div>
      ))}
    </div>
  );
}

function Generations({ a, b, nameA, nameB }: { a: string; b: string; nameA: string; nameB: string }) {
  const trpc = useTRPC();
  const samples = useQuery(trpc.evaluation.compareSamples.queryOptions({ a, b }));
  if (samples.error) return <ErrorText message={samples.error.message} />;
  if (!samples.data) return <p className="text-sm text-slate-500">Loading responses…</p>;
  return (
    <Panel title="Responses to the same prompts">
      <div className="space-y-4">
        {samples.data.map((row) => (
          <div key={row.id} className="space-y-2 border-b pb-4 last:border-0" data-testid="compare-generation">
            <div className="text-sm">
              <span className="mr-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{row.policy ?? "no policy label"}</span>
              <span className="whitespace-pre-wrap break-words">{row.prompt ? row.prompt.map((m) => `${m.role}: ${m.content}`).join("\n") : "(prompt no longer in the set)"}</span>
            </div>
            <div className="grid gap-3 md:grid-cols-2">
              <div>
                <p className="mb-1 text-xs font-medium text-slate-500">{nameA}</p>
                <Responses samples={row.a} />
              </div>
              <div>
                <p className="mb-1 text-xs font-medium text-slate-500">{nameB}</p>
                <Responses samples={row.b} />
              </div>
            </div>
          </div>
        ))}
      </div>
    </Panel>
  );
}

export function CompareView({ a, b }: { a: string; b: string }) {
  const trpc = useTRPC();
  const compared = useQuery(trpc.evaluation.compare.queryOptions({ a, b }, { enabled: Boolean(a && b) }));
  if (!a || !b) return <ErrorText message="Choose two evaluations to compare (from a model's Evaluations in the model registry)." />;
  if (compared.error) return <ErrorText message={compared.error.message} />;
  const c = compared.data;
  if (!c) return <p className="text-sm text-slate-500">Loading…</p>;
  const nameA = c.a.modelVersion.name;
  const nameB = c.b.modelVersion.name;
  return (
    <>
      <div className="space-y-1">
        <Link href="/admin/models" className="text-sm text-slate-500 hover:text-slate-800">
          ← Model registry
        </Link>
        <h1>
          {nameA} <span className="text-slate-400">vs</span> {nameB}
        </h1>
        <p className="text-sm text-slate-600">
          {c.a.evaluationSet ? `On the evaluation set ${c.a.evaluationSet.name}. ` : ""}
          A: {dateTime(c.a.createdAt)}; B: {dateTime(c.b.createdAt)}. Each figure with its 95 % interval; the difference A − B is marked when its interval
          excludes zero (computed from the two intervals, so it errs on the side of &quot;no clear change&quot;).
        </p>
        {c.notes.map((n) => (
          <p key={n} className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900" role="note">
            {n}
          </p>
        ))}
      </div>
      <Panel title="Figures">
        <table className="w-full text-left text-sm" data-testid="compare-table">
          <thead className="border-b text-xs text-slate-500">
            <tr>
              <th className="py-1">Figure</th>
              <th>A · {nameA}</th>
              <th>B · {nameB}</th>
              <th>A − B</th>
            </tr>
          </thead>
          <tbody>
            {c.metrics.map((m) => (
              <tr key={m.name} className="border-b last:border-0" data-testid="compare-row" data-metric={m.name} data-change={m.change ?? ""}>
                <td className="py-1 pr-2">{m.label}</td>
                <td className="pr-2">
                  <EstimateText e={m.a} percent={m.percent} />
                </td>
                <td className="pr-2">
                  <EstimateText e={m.b} percent={m.percent} />
                </td>
                <td>
                  <DifferenceText row={m} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      {c.a.kind === "policy" && <Generations a={a} b={b} nameA={nameA} nameB={nameB} />}
    </>
  );
}
