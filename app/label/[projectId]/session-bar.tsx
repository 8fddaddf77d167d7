"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { ProjectSummary } from "./types";

const mmss = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
};

/** Its own component so the once-a-second tick re-renders two numbers, not the whole task. */
function TaskClock({ startedAtMs, leaseExpiresAt }: { startedAtMs: number; leaseExpiresAt: Date }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const leaseLeft = leaseExpiresAt.getTime() - now;
  const warn = leaseLeft < 3 * 60_000;
  return (
    <>
      <span className="stat" title="Time on this task">
        <span className="stat-label">Task time</span>
        <span className="tabular-nums" data-testid="task-timer">
          {mmss(now - startedAtMs)}
        </span>
      </span>
      <span className={`stat ${warn ? "text-amber-700" : ""}`} title="Submit before the lease ends, or the task goes back to the pool" role={warn ? "status" : undefined}>
        <span className="stat-label">Lease</span>
        <span className="tabular-nums">{leaseLeft > 0 ? mmss(leaseLeft) : "expired"}</span>
      </span>
    </>
  );
}

export function SessionBar({
  projectName,
  summary,
  hasTask,
  clock,
  actions,
}: {
  projectName: string;
  summary: ProjectSummary | undefined;
  hasTask: boolean;
  clock?: { startedAtMs: number; leaseExpiresAt: Date };
  actions?: React.ReactNode;
}) {
  const progress = summary?.progress;
  // availableToMe leaves out the task on screen (it is already leased to this annotator).
  const remaining = progress ? progress.availableToMe + (hasTask ? 1 : 0) : null;
  return (
    <div className="sticky top-0 z-30 -mx-2 flex h-12 items-center gap-4 border-b border-slate-200 bg-slate-50/95 px-2 backdrop-blur">
      <Link href="/queue" className="shrink-0 text-sm text-slate-500 hover:text-slate-800" aria-label="Back to the queue">
        ← Queue
      </Link>
      <h1 className="min-w-0 truncate text-base font-semibold" title={projectName}>
        {projectName}
      </h1>
      <div className="flex items-center gap-4 text-sm" data-testid="session-progress">
        <span className="stat">
          <span className="stat-label">Done today</span>
          <span className="tabular-nums" data-testid="done-today">
            {progress?.doneToday ?? "–"}
          </span>
        </span>
        <span className="stat">
          <span className="stat-label">Remaining</span>
          <span className="tabular-nums" data-testid="remaining">
            {remaining ?? "–"}
          </span>
        </span>
        {clock && <TaskClock startedAtMs={clock.startedAtMs} leaseExpiresAt={clock.leaseExpiresAt} />}
      </div>
      <div className="ml-auto flex shrink-0 items-center gap-1.5">{actions}</div>
    </div>
  );
}
