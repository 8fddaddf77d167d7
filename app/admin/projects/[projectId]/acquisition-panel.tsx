"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { dateTime, decimal, shortId } from "../../../components/format";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";

const orders = [
  { order: "imported", label: "imported", help: "oldest first, as imported" },
  { order: "uncertainty", label: "uncertainty", help: "where the reward models disagree most first" },
] as const;

/**
 * Active learning: the labelling order (admins switch it) and the latest acquisition run's tasks of
 * highest disagreement. Prompt excerpts are untrusted text and rendered as text only.
 */
export function AcquisitionPanel({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = useQuery(trpc.acquisition.latest.queryOptions({ projectId, limit: 20 }));
  const setOrder = useMutation(
    trpc.acquisition.setTaskOrder.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.acquisition.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }),
        ]);
      },
    }),
  );
  const data = latest.data;
  const current = data?.taskOrder;

  return (
    <Panel
      title="Labelling order"
      actions={
        <div role="radiogroup" aria-label="Labelling order" className="inline-flex overflow-hidden rounded border border-slate-300 text-sm">
          {orders.map((o) => (
            <button
              key={o.order}
              type="button"
              role="radio"
              aria-checked={current === o.order}
              title={o.help}
              disabled={!canEdit || current === undefined || setOrder.isPending}
              onClick={() => current !== o.order && setOrder.mutate({ projectId, order: o.order })}
              className={`px-3 py-1 ${current === o.order ? "bg-slate-900 text-white" : "bg-white text-slate-700 hover:bg-slate-50"} disabled:cursor-default`}
            >
              {o.label}
            </button>
          ))}
        </div>
      }
    >
      <ErrorText message={latest.error?.message ?? setOrder.error?.message} />
      <p className="text-sm text-slate-600">
        {current === "uncertainty"
          ? "Annotators get the tasks the reward models disagree on most first (after finishing tasks others have started)."
          : "Annotators get tasks oldest first (after finishing tasks others have started)."}
        {canEdit && " Uncertainty order needs a succeeded acquisition run; a newer run re-ranks the tasks when it succeeds."}
      </p>
      {data && !data.job && (
        <p className="text-sm text-slate-500" data-testid="acquisition-none">
          No acquisition run has scored this project&apos;s tasks yet.{" "}
          {canEdit && (
            <Link href="/admin/runs" className="text-blue-700 hover:underline">
              Start one (kind: Acquisition)
            </Link>
          )}
        </p>
      )}
      {data?.job && (
        <>
          <p className="text-sm text-slate-600">
            Latest acquisition:{" "}
            <Link href={`/admin/runs/${data.job.id}`} className="font-mono text-blue-700 hover:underline">
              {data.job.name ?? shortId(data.job.id)}
            </Link>
            {data.job.finishedAt && ` · ${dateTime(data.job.finishedAt)}`} · {data.tasks} tasks ranked by {data.job.rewardModelIds.length} reward models
            {data.job.safetyModelId && " and a safety model"}. The tasks of highest disagreement:
          </p>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="acquisition-table">
              <thead className="border-b text-slate-500">
                <tr>
                  <th className="py-2 pr-3">Rank</th>
                  <th className="pr-3">Task</th>
                  <th className="pr-3">Prompt</th>
                  <th className="pr-3 text-right">Disagreement</th>
                  <th className="pr-3 text-right">Margin</th>
                  <th className="pr-3 text-right">Borderline</th>
                  <th className="text-right">Labels</th>
                </tr>
              </thead>
              <tbody>
                {data.top.map((t) => (
                  <tr key={t.taskId} className="border-b align-top last:border-0" data-testid="acquisition-row">
                    <td className="py-1.5 pr-3 tabular-nums">{t.rank}</td>
                    <td className="pr-3 font-mono text-xs" title={t.taskId}>
                      {shortId(t.taskId)}
                    </td>
                    <td className="max-w-md break-words pr-3 text-slate-700">{t.excerpt ?? "—"}</td>
                    <td className="pr-3 text-right tabular-nums">{decimal(t.disagreement, 4)}</td>
                    <td className="pr-3 text-right tabular-nums">{decimal(t.margin, 3)}</td>
                    <td className="pr-3 text-right tabular-nums">{decimal(t.borderline, 3)}</td>
                    <td className="text-right tabular-nums">{t.annotationCount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Panel>
  );
}
