"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { dateTime, shortId } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { isActive, ProgressBar, ServeStatus, StateBadge, Timing } from "./run-format";

/** A clock that ticks while something is live, so elapsed and ETA move between refetches. */
export function useNow(live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live]);
  return now;
}

export function RunsList() {
  const trpc = useTRPC();
  const runs = useQuery({
    ...trpc.runs.list.queryOptions({ limit: 50 }),
    refetchInterval: (query) => (query.state.data?.some((r) => isActive(r.state)) ? 1500 : 15_000),
  });
  const now = useNow(runs.data?.some((r) => isActive(r.state)) ?? false);

  return (
    <Panel title="Runs">
      <ErrorText message={runs.error?.message} />
      <table className="w-full text-left text-sm">
        <thead className="border-b text-slate-500">
          <tr>
            <th className="py-2">Run</th>
            <th>Kind</th>
            <th>State</th>
            <th>Progress</th>
            <th>Elapsed</th>
            <th>Inputs</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.data?.map((r) => (
            <tr key={r.id} className="border-b last:border-0" data-testid="run-row">
              <td className="py-2">
                <Link href={`/admin/runs/${r.id}`} className="font-mono text-blue-700 underline">
                  {shortId(r.id)}
                </Link>
              </td>
              <td>{r.kind}</td>
              <td>
                <StateBadge state={r.state} />
              </td>
              <td>
                {r.kind === "serve" ? <ServeStatus result={r.result} state={r.state} /> : <ProgressBar progress={r.progress} state={r.state} />}
              </td>
              <td>
                <Timing run={r} now={now} />
              </td>
              <td className="text-xs text-slate-600">
                {r.inputs.snapshots.map((s) => (
                  <div key={s.role} data-testid="run-input">
                    {s.role}: {"project" in s ? `${s.project.name} · ${s.format} (${s.rowCount} rows)` : `${shortId(s.id)} (deleted)`}
                  </div>
                ))}
                {r.inputs.models.map((m) => (
                  <div key={m.role} data-testid="run-input">
                    {m.role}: {m.name ?? `${shortId(m.id)} (deleted)`}
                  </div>
                ))}
              </td>
              <td className="text-xs text-slate-600">
                {dateTime(r.createdAt)}
                <div>{r.createdBy?.email ?? "—"}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {runs.data?.length === 0 && <p className="text-sm text-slate-500">No training runs yet.</p>}
    </Panel>
  );
}
