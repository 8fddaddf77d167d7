"use client";

import { useQuery } from "@tanstack/react-query";
import { percent } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

/** The annotator's own numbers per project, each with what it rests on and the project's bar. */
export function MyQuality() {
  const trpc = useTRPC();
  // While a project's figures are still being counted, ask again until they are whole.
  const quality = useQuery({ ...trpc.inbox.quality.queryOptions(), refetchInterval: (query) => (query.state.data?.some((q) => q.counting) ? 2_000 : false) });
  if (quality.error) return <ErrorText message={quality.error.message} />;
  if (!quality.data || quality.data.length === 0) return null;
  return (
    <Panel title="Your quality">
      <div className="grid gap-4 md:grid-cols-2">
        {quality.data.map((q) => (
          <div key={q.project.id} data-testid="my-quality" className="space-y-2 rounded border border-slate-200 p-3 text-sm">
            <h3 className="font-medium">{q.project.name}</h3>
            {q.counting && (
              <p role="status" data-testid="my-quality-counting" className="rounded border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-900">
                Still counting this project&apos;s figures ({q.counting.tasksLeft.toLocaleString()} tasks left): gold accuracy and agreement below cover only
                the tasks counted so far.
              </p>
            )}
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
              <dt className="text-slate-500">Accepted as labelled</dt>
              <dd data-testid="my-acceptance">
                {q.acceptance
                  ? `${percent(q.acceptance.value)} of ${q.reviewed} reviewed (95% interval ${percent(q.acceptance.lo)}–${percent(q.acceptance.hi)}); ${q.corrected} corrected, ${q.rejected} rejected`
                  : "nothing reviewed yet"}
              </dd>
              <dt className="text-slate-500">Gold accuracy</dt>
              <dd className={q.belowGoldThreshold ? "text-red-700" : undefined}>
                {q.goldAccuracy === null
                  ? "no gold items labelled yet"
                  : `${percent(q.goldAccuracy)} on ${q.goldItems} gold item${q.goldItems === 1 ? "" : "s"} (the project asks for ${percent(q.goldThreshold)}${q.belowGoldThreshold ? ": below it, a reviewer will look at your work" : ""})`}
              </dd>
              <dt className="text-slate-500">Agreement with peers</dt>
              <dd>{q.peerAgreement === null ? "no task labelled by others too yet" : `${percent(q.peerAgreement)} over ${q.peerComparisons} comparisons`}</dd>
              <dt className="text-slate-500">Labelled</dt>
              <dd>{q.labelled}</dd>
            </dl>
            {q.weeks.length > 1 && (
              <table className="text-xs" aria-label={`Acceptance week by week in ${q.project.name}`}>
                <tbody>
                  {q.weeks.map((w) => (
                    <tr key={String(w.week)}>
                      <td className="pr-3 text-slate-500">week of {new Date(w.week).toLocaleDateString()}</td>
                      <td className="pr-3">{percent(w.rate)}</td>
                      <td className="text-slate-500">
                        {w.accepted} of {w.reviewed}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ))}
      </div>
    </Panel>
  );
}
