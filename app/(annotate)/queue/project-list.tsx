"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

type Progress = { total: number; complete: number; availableToMe: number; doneToday: number; doneByMe: number };

function ProgressBar({ progress, name }: { progress: Progress; name: string }) {
  const pct = progress.total ? Math.round((progress.complete / progress.total) * 100) : 0;
  return (
    <div className="space-y-1">
      <div
        role="progressbar"
        aria-label={`${name}: tasks complete`}
        aria-valuemin={0}
        aria-valuemax={progress.total}
        aria-valuenow={progress.complete}
        aria-valuetext={`${progress.complete} of ${progress.total} tasks complete`}
        className="h-2 overflow-hidden rounded-full bg-slate-200"
      >
        <div className="h-full rounded-full bg-indigo-500 transition-[width]" style={{ width: `${pct}%` }} />
      </div>
      <p className="text-xs text-slate-500">
        <span className="tabular-nums">{progress.complete}</span> of <span className="tabular-nums">{progress.total}</span> tasks complete ({pct}%)
      </p>
    </div>
  );
}

export function ProjectList() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  return (
    <Panel title="Projects">
      <ErrorText message={projects.error?.message} />
      {projects.isLoading && <p className="text-sm text-slate-500">Loading projects…</p>}
      {projects.data?.length === 0 && <p className="text-sm text-slate-500">You are not a member of any active project yet. Ask an admin to add you to one.</p>}
      <ul className="divide-y divide-slate-200">
        {projects.data?.map((p) => {
          const left = p.progress.availableToMe;
          return (
            <li key={p.id} className="grid gap-4 py-4 sm:grid-cols-[1fr_16rem_auto] sm:items-center" data-testid="project">
              <div className="min-w-0">
                <p className="font-medium">{p.name}</p>
                <p className="text-sm text-slate-600">{p.description}</p>
                <p className="text-xs text-slate-500">
                  {p.k} responses per prompt · {p.mode === "rank" ? "ranking" : "pairwise"} · {p.overlap} annotator(s) per item
                </p>
              </div>
              <div className="space-y-1">
                <ProgressBar progress={p.progress} name={p.name} />
                <p className="flex gap-4 text-xs text-slate-600">
                  <span>
                    Done today: <span className="font-medium tabular-nums" data-testid="done-today">{p.progress.doneToday}</span>
                  </span>
                  <span>
                    Remaining for you: <span className="font-medium tabular-nums" data-testid="remaining-for-me">{left}</span>
                  </span>
                </p>
              </div>
              {left > 0 ? (
                <Link href={`/label/${p.id}`} className="btn-primary justify-center" aria-label={`Start labelling ${p.name}`}>
                  Start labelling
                </Link>
              ) : (
                <span aria-disabled="true" className="btn-primary pointer-events-none justify-center opacity-40" title="Nothing is left for you in this project">
                  Nothing left for you
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}
