"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { forecastOfResult } from "../../../../server/forecast/forecast-result";
import { dateTime, shortId } from "../../../components/format";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";
import { Headline } from "../../models/model-badges";
import { ForecastAnswers, ForecastChart } from "../forecast-chart";
import { MetricChart } from "../metric-chart";
import { lastStep, mergeSeries, metricNames, type Series } from "../metric-series";
import { isActive, ProgressBar, ServeStatus, StateBadge, Timing } from "../run-format";
import { useNow } from "../runs-list";

const pollMs = 1500;

/**
 * A run's metrics, kept up to date while it is live: each poll asks only for points after the last
 * step seen and merges them. Once the run ends, one full read replaces the increments.
 */
function useRunMetrics(jobId: string | undefined, live: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queryKey = ["run-metrics", jobId, live] as const;
  return useQuery({
    queryKey,
    enabled: jobId !== undefined,
    refetchInterval: live ? pollMs : false,
    placeholderData: keepPreviousData,
    queryFn: async (): Promise<Series> => {
      const prev = queryClient.getQueryData<Series>(queryKey);
      const cursor = live && prev ? lastStep(prev) : undefined;
      const fresh = await queryClient.fetchQuery({
        ...trpc.runs.metrics.queryOptions({ jobId: jobId!, ...(cursor === undefined ? {} : { afterStep: cursor }) }),
        staleTime: 0,
      });
      return prev && cursor !== undefined ? mergeSeries(prev, fresh) : fresh;
    },
  });
}

const colours = { this: "#2563eb", other: "#ea580c" };

/**
 * Still worth polling: active, or cancelled within the last minute (its trainer is saving a last
 * checkpoint and reporting its last metrics after the state changed).
 */
function isSettling(run: { state: string; finishedAt: Date | null }) {
  return isActive(run.state) || (run.state === "cancelled" && run.finishedAt !== null && Date.now() - run.finishedAt.getTime() < 60_000);
}

/** What an acquisition run stored: how many tasks it ranked, and where the ranking is shown. */
function AcquisitionOutcome({ run }: { run: { state: string; payload: unknown; result: unknown } }) {
  const projectId = (run.payload as { projectId?: string }).projectId;
  const result = (run.result ?? {}) as { stored?: number; applied?: boolean };
  if (run.state !== "succeeded" || result.stored === undefined) {
    return <p className="mb-2 text-sm text-slate-500">The ranking of the project&apos;s unlabelled tasks appears on the project&apos;s page when the run succeeds.</p>;
  }
  return (
    <p className="mb-2 text-sm text-slate-700" data-testid="run-acquisition">
      Ranked {result.stored} unlabelled tasks by the ensemble&apos;s disagreement
      {result.applied ? "; the project is in uncertainty order, so they are served by this ranking now" : "; the project serves tasks as imported until it is switched to uncertainty order"}.{" "}
      {projectId && (
        <Link href={`/admin/projects/${projectId}`} className="text-blue-700 hover:underline">
          See the project
        </Link>
      )}
    </p>
  );
}

/** What a forecast run found: the chart and its answers, once it has succeeded. The subset models are scratch. */
function ForecastOutcome({ run }: { run: { state: string; result: unknown } }) {
  const forecast = run.state === "succeeded" ? forecastOfResult(run.result) : null;
  if (!forecast) {
    return (
      <p className="mb-2 text-sm text-slate-500">
        {run.state === "succeeded" ? "This run stored no forecast that can be read." : "The forecast appears here when the run succeeds; its subset models are not kept as versions."}
      </p>
    );
  }
  return (
    <div className="space-y-3" data-testid="run-forecast">
      <ForecastAnswers forecast={forecast} />
      <ForecastChart forecast={forecast} />
    </div>
  );
}

export function RunView({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery({
    ...trpc.runs.get.queryOptions({ jobId }),
    refetchInterval: (query) => (query.state.data && !isSettling(query.state.data) ? false : pollMs),
  });
  const live = run.data ? isSettling(run.data) : true;
  const now = useNow(live);
  const metrics = useRunMetrics(jobId, live);

  const [otherId, setOtherId] = useState("");
  const runs = useQuery({ ...trpc.runs.list.queryOptions({ limit: 100 }), enabled: true });
  const other = runs.data?.find((r) => r.id === otherId);
  const otherMetrics = useRunMetrics(otherId || undefined, other ? isActive(other.state) : false);

  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ jobId }) }),
    }),
  );

  if (run.error) return <ErrorText message={run.error.message} />;
  if (!run.data) return <p className="text-sm text-slate-500">Loading run…</p>;
  const r = run.data;
  const series = metrics.data ?? {};
  const otherSeries = otherId ? (otherMetrics.data ?? {}) : undefined;
  const names = metricNames(series, otherSeries);

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <Link href="/admin/runs" className="text-sm text-slate-500 hover:text-slate-800">
            ← Runs
          </Link>
          <h1>
            {r.kind} run <span className="font-mono">{shortId(r.id)}</span>
          </h1>
        </div>
        {isActive(r.state) && (
          <button
            type="button"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ id: r.id })}
            className="rounded border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50"
          >
            Cancel run
          </button>
        )}
      </div>
      <ErrorText message={cancel.error?.message} />

      <Panel title="Status">
        <div className="flex flex-wrap items-center gap-6 text-sm">
          <StateBadge state={r.state} />
          {r.kind === "serve" ? <ServeStatus result={r.result} state={r.state} /> : <ProgressBar progress={r.progress} state={r.state} />}
          <span className="text-slate-600" data-testid="run-step">
            step {r.step ?? 0}
            {r.totalSteps ? ` / ${r.totalSteps}` : ""}
          </span>
          <Timing run={r} now={now} />
          <span className="text-slate-600">
            attempt {r.attempt}/{r.maxAttempts}
          </span>
          <span className="font-mono text-xs text-slate-500">{r.workerId ?? "no worker yet"}</span>
        </div>
        {r.error && (
          <div role="alert" className="rounded border border-red-200 bg-red-50 p-3" data-testid="run-error">
            <p className="mb-1 text-sm font-medium text-red-800">{r.state === "failed" ? "The run failed" : "The last attempt failed"}</p>
            <pre className="max-h-64 overflow-auto whitespace-pre-wrap text-xs text-red-900">{r.error}</pre>
          </div>
        )}
      </Panel>

      <Panel
        title="Metrics"
        actions={
          <label className="flex items-center gap-2 text-sm text-slate-600">
            Compare with
            <select className="rounded border border-slate-300 px-2 py-1 text-sm" value={otherId} onChange={(e) => setOtherId(e.target.value)} aria-label="Compare with run">
              <option value="">no other run</option>
              {runs.data
                ?.filter((o) => o.id !== r.id)
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {shortId(o.id)} · {o.kind} · {o.state} · {dateTime(o.createdAt)}
                  </option>
                ))}
            </select>
          </label>
        }
      >
        <ErrorText message={metrics.error?.message ?? otherMetrics.error?.message} />
        {names.length === 0 ? (
          <p className="text-sm text-slate-500">{live ? "Waiting for the trainer's first metrics…" : "This run reported no metrics."}</p>
        ) : (
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {names.map((name) => (
              <MetricChart
                key={name}
                name={name}
                runs={[
                  { key: "this", label: shortId(r.id), colour: colours.this, points: series[name] ?? [] },
                  ...(otherSeries ? [{ key: "other", label: shortId(otherId), colour: colours.other, points: otherSeries[name] ?? [] }] : []),
                ]}
              />
            ))}
          </div>
        )}
      </Panel>

      <Panel title="Outputs">
        {r.kind === "acquire" && <AcquisitionOutcome run={r} />}
        {r.kind === "forecast" && <ForecastOutcome run={r} />}
        {r.kind !== "acquire" && r.kind !== "forecast" && !r.outputs.some((m) => m.checkpointStep === null) && (
          <p className="mb-2 text-sm text-slate-500" data-testid="run-no-final-model">
            {r.state === "succeeded"
              ? "No model was registered."
              : isActive(r.state)
                ? "Each checkpoint appears here as a model version when it is saved, and the final model when the run succeeds."
                : `No final model: the run ${r.state === "cancelled" ? "was cancelled" : "failed"}.${r.outputs.length > 0 ? " Its checkpoints below are model versions." : ""}`}
          </p>
        )}
        {r.outputs.length > 0 && (
          <table className="w-full text-left text-sm">
            <thead className="border-b text-slate-500">
              <tr>
                <th className="py-2">Model version</th>
                <th>Kind</th>
                <th>Step</th>
                <th>Eval</th>
                <th>Path</th>
              </tr>
            </thead>
            <tbody>
              {r.outputs.map((m) => (
                <tr key={m.id} className="border-b last:border-0" data-testid="run-output">
                  <td className="py-2">{m.name}</td>
                  <td>{m.kind}</td>
                  <td className="text-xs">
                    {m.checkpointStep === null ? "final" : `checkpoint ${m.checkpointStep}`}
                    {m.prunedAt && <span className="ml-1 text-amber-800">(pruned)</span>}
                  </td>
                  <td className="text-xs">
                    <Headline items={m.headline} caveats={m.caveats} />
                  </td>
                  <td className="font-mono text-xs">{m.path}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {r.checkpoints.length > 0 && (
          <div>
            <h3 className="mb-1 text-sm font-medium text-slate-700">Checkpoints (resume state)</h3>
            <ul className="text-sm">
              {r.checkpoints.map((c) => (
                <li key={c.path} data-testid="run-checkpoint">
                  step {c.step} <span className="font-mono text-xs text-slate-500">{c.path}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </Panel>

      <Panel title="Inputs and config">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-slate-500">Created</dt>
          <dd>
            {dateTime(r.createdAt)} by {r.createdBy?.email ?? "—"}
          </dd>
          {r.inputs.snapshots.map((s) => (
            <div key={s.role} className="contents">
              <dt className="text-slate-500">{s.role} snapshot</dt>
              <dd>
                {"project" in s
                  ? `${s.project.name} · ${s.format} · ${s.aggregate} · ${s.rowCount} rows (${shortId(s.id)})`
                  : `${shortId(s.id)} (no longer exists)`}
              </dd>
            </div>
          ))}
          {r.inputs.models.map((m) => (
            <div key={m.role} className="contents">
              <dt className="text-slate-500">{m.role} model</dt>
              <dd>{m.name ? `${m.name} (${m.kind})` : `${shortId(m.id)} (no longer exists)`}</dd>
            </div>
          ))}
          {r.outputDir && (
            <>
              <dt className="text-slate-500">Run folder</dt>
              <dd className="font-mono text-xs">{r.outputDir}</dd>
            </>
          )}
        </dl>
        <div>
          <h3 className="mb-1 text-sm font-medium text-slate-700">Config overrides</h3>
          <pre className="overflow-auto rounded bg-slate-50 p-3 text-xs" data-testid="run-config">
            {JSON.stringify(r.inputs.config, null, 2)}
          </pre>
        </div>
      </Panel>

      <Panel title="Log tail">
        {r.logTail ? (
          <pre className="max-h-80 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-3 text-xs text-slate-100">{r.logTail}</pre>
        ) : (
          <p className="text-sm text-slate-500">No log lines yet.</p>
        )}
      </Panel>
    </>
  );
}

/** The eval numbers a model version was registered with, in one line. */
