"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { percent } from "../../../components/format";
import { ErrorText } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";
import { ImportPanel } from "../../import-panel";
import { AcquisitionPanel } from "./acquisition-panel";
import { AgreementPanel, PositionBiasPanel } from "./agreement-panel";
import { AnnotatorTable } from "./annotator-table";
import { DashboardCards } from "./dashboard-cards";
import { LabelsPerHourChart, PolicyMixChart, RubricByModelChart } from "./dashboard-charts";
import { DisagreementQueue } from "./disagreement-queue";
import { ForecastPanel } from "./forecast-panel";
import { FeedbackSamplingPanel } from "./feedback-sampling-panel";
import { MembersPanel } from "./members-panel";
import { ReleaseGatesPanel } from "./release-gates-panel";
import { RewardTablePanel } from "./reward-table-panel";
import { ProjectSettingsPanel } from "./project-settings-panel";

// Dashboards are left open on a screen: keep the numbers moving without a reload.
const live = { refetchInterval: 30_000 };
// While a backlog of tasks is being counted, each open counts some more: ask again soon.
const soonWhileCounting = (query: { state: { data?: { counting: unknown } } }) => (query.state.data?.counting ? 2_000 : live.refetchInterval);

function Skeleton({ className }: { className: string }) {
  return <div className={`animate-pulse rounded-lg bg-slate-200/70 ${className}`} />;
}

export function ProjectDashboard({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const project = useQuery(trpc.projects.get.queryOptions({ projectId }));
  const dashboard = useQuery({ ...trpc.projects.dashboard.queryOptions({ projectId }), refetchInterval: soonWhileCounting });
  const quality = useQuery({ ...trpc.projects.quality.queryOptions({ projectId }), refetchInterval: soonWhileCounting });
  const p = project.data;
  const d = dashboard.data;
  const q = quality.data;
  // Both read the same tallies; whichever answered last knows best how many tasks are left.
  const counting = [dashboard, quality].sort((x, y) => y.dataUpdatedAt - x.dataUpdatedAt).map((r) => r.data?.counting).find((c) => c !== undefined) ?? null;
  const hasTasks = d ? d.tasks.total + d.tasks.gold > 0 : true;
  // A new project's first step is an import, so the panel comes first; it stays there for this
  // visit, or moving it after the import would remount it and lose its summary.
  const [startedEmpty, setStartedEmpty] = useState<boolean | null>(null);
  if (d && startedEmpty === null) setStartedEmpty(!hasTasks);
  const importFirst = canEdit && startedEmpty === true;

  if (project.error) {
    return (
      <div className="space-y-3">
        <Link href="/admin/projects" className="text-sm text-slate-500 hover:text-slate-800">
          ← Projects
        </Link>
        <ErrorText message={project.error.message} />
      </div>
    );
  }

  return (
    <>
      <div className="space-y-1">
        <Link href="/admin/projects" className="text-sm text-slate-500 hover:text-slate-800">
          ← Projects
        </Link>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="min-w-0 break-words">{p?.name ?? "Project"}</h1>
          {p?.archivedAt && <span className="rounded bg-slate-200 px-2 py-0.5 text-sm text-slate-700">archived</span>}
          <Link href={`/review?projectId=${projectId}`} className="btn ml-auto">
            Review queue
          </Link>
          {canEdit && (
            <Link href={`/admin/projects/${projectId}/evaluation`} className="btn">
              Evaluation sets
            </Link>
          )}
          {canEdit && (
            <Link href={`/admin/projects/${projectId}/data`} className="btn">
              Data
            </Link>
          )}
          {canEdit && (
            <Link href={`/admin/projects/${projectId}/loop`} className="btn btn-primary">
              Training loop
            </Link>
          )}
        </div>
        {p && (
          <p className="text-sm text-slate-600">
            {p.mode === "pairwise" ? "Pairwise" : `Rank ${p.k}`} · overlap {p.overlap} · ties {p.tiesAllowed ? "allowed" : "not allowed"} · gold rate{" "}
            {percent(p.goldRate)} · gold threshold {percent(p.goldThreshold)} · lease {p.leaseMinutes} min · guidelines v{p.guidelinesVersion} · labelling order{" "}
            {p.taskOrder}
          </p>
        )}
      </div>

      <ErrorText message={dashboard.error?.message ?? quality.error?.message} />
      {importFirst && <ImportPanel projectId={projectId} />}

      {d ? (
        <>
          {counting && (
            <p role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              Counting the project&apos;s figures: {counting.tasksLeft.toLocaleString()} tasks left. This happens once after an upgrade or a large import of
              judgements; until it ends, the figures below cover only the tasks counted so far.
            </p>
          )}
          <DashboardCards dashboard={d} />
          <LabelsPerHourChart series={d.labelsPerHour} />
          <div className="grid gap-8 lg:grid-cols-2">
            <PolicyMixChart mix={d.policyMix} />
            <RubricByModelChart rows={d.rubricByModel} />
          </div>
        </>
      ) : (
        !dashboard.error && (
          <div className="space-y-3" aria-busy="true" aria-label="Loading the dashboard">
            <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
              <Skeleton className="h-28 sm:col-span-2" />
              <Skeleton className="h-28 sm:col-span-2" />
              <Skeleton className="h-24" />
              <Skeleton className="h-24" />
              <Skeleton className="h-24" />
              <Skeleton className="h-24" />
            </div>
            <Skeleton className="h-64" />
          </div>
        )
      )}

      {q ? (
        <>
          <div className="grid gap-8 lg:grid-cols-[3fr_2fr]">
            <AgreementPanel agreement={q.agreement} />
            <PositionBiasPanel bias={q.positionBias} mode={d?.project.mode ?? p?.mode ?? "rank"} />
          </div>
          <AnnotatorTable rows={q.annotators} projectId={projectId} goldThreshold={q.goldThreshold} />
          <DisagreementQueue items={q.disagreements} multiplyLabelled={q.agreement.multiplyLabelledTasks} />
          <AcquisitionPanel projectId={projectId} canEdit={canEdit} />
          <ForecastPanel projectId={projectId} />
        </>
      ) : (
        !quality.error && <Skeleton className="h-64" />
      )}

      {canEdit && p && (
        <>
          {!importFirst && <ImportPanel projectId={projectId} />}
          <MembersPanel projectId={projectId} />
          <RewardTablePanel project={p} />
          <FeedbackSamplingPanel project={p} />
          <ReleaseGatesPanel project={p} />
          <ProjectSettingsPanel project={p} hasTasks={hasTasks} />
        </>
      )}
    </>
  );
}
