"use client";

import { duration, percent } from "../../../components/format";
import { reviewStateTone, type ReviewState } from "../../../components/review-state-badge";
import type { Dashboard } from "../types";

function Card({ label, children, sub, className = "", testId }: { label: string; children: React.ReactNode; sub?: React.ReactNode; className?: string; testId?: string }) {
  return (
    <div className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm ${className}`} data-testid={testId}>
      <p className="stat-label">{label}</p>
      <div className="mt-1 text-2xl font-semibold tabular-nums">{children}</div>
      {sub && <div className="mt-1 text-xs text-slate-500">{sub}</div>}
    </div>
  );
}

const reviewOrder: ReviewState[] = ["pending", "accepted", "corrected", "rejected"];

function TaskProgress({ tasks }: { tasks: Dashboard["tasks"] }) {
  const { total, done, inProgress, remaining, gold } = tasks;
  const share = (n: number) => (total ? `${(n / total) * 100}%` : "0%");
  return (
    <Card label="Tasks" className="sm:col-span-2" testId="tasks-card">
      <div className="flex flex-wrap items-baseline gap-x-5 gap-y-1 text-base font-normal">
        <span>
          <span className="text-2xl font-semibold" data-testid="tasks-done">
            {done}
          </span>{" "}
          <span className="text-slate-500">done</span>
        </span>
        <span>
          <span className="font-semibold" data-testid="tasks-in-progress">
            {inProgress}
          </span>{" "}
          <span className="text-slate-500">in progress</span>
        </span>
        <span>
          <span className="font-semibold" data-testid="tasks-remaining">
            {remaining}
          </span>{" "}
          <span className="text-slate-500">remaining</span>
        </span>
        <span className="text-sm text-slate-500">
          + <span data-testid="tasks-gold">{gold}</span> gold
        </span>
      </div>
      <div
        className="mt-2 flex h-2 overflow-hidden rounded-full bg-slate-200"
        role="img"
        aria-label={`${done} of ${total} tasks done, ${inProgress} in progress`}
      >
        <div className="h-full bg-indigo-500" style={{ width: share(done) }} />
        <div className="h-full bg-amber-400" style={{ width: share(inProgress) }} />
      </div>
      <p className="mt-1 text-xs text-slate-500">
        {total === 0 ? "No tasks yet: import some below." : `${total} tasks; done means labelled by the full overlap.`}
      </p>
    </Card>
  );
}

export function DashboardCards({ dashboard }: { dashboard: Dashboard }) {
  const states = dashboard.reviewStates;
  const annotations = reviewOrder.reduce((n, s) => n + (states[s] ?? 0), 0);
  return (
    <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
      <TaskProgress tasks={dashboard.tasks} />
      <Card label="Review states" className="sm:col-span-2" sub={`${annotations} annotations in all`} testId="review-states">
        <dl className="grid grid-cols-4 gap-2 text-base font-normal">
          {reviewOrder.map((s) => (
            <div key={s} className={`rounded px-2 py-1 ${reviewStateTone[s]}`}>
              <dt className="text-xs">{s}</dt>
              <dd className="text-xl font-semibold" data-testid={`review-state-${s}`}>
                {states[s] ?? 0}
              </dd>
            </div>
          ))}
        </dl>
      </Card>
      <Card label="Active in the last hour" sub={`${dashboard.annotators} annotator(s) have labelled in this project`} testId="active-annotators">
        {dashboard.activeAnnotatorsLastHour}
      </Card>
      <Card label="Median time per task" sub="Time from opening a task to submitting it (rejected work left out)">
        {duration(dashboard.medianTimeMs)}
      </Card>
      <Card label="Skip rate" sub="Skipped of all finished assignments">
        {percent(dashboard.skipRate, 1)}
      </Card>
      <Card label="Report rate" sub="Prompt reports per finished assignment">
        {percent(dashboard.reportRate, 1)}
      </Card>
    </div>
  );
}
