"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { GateResult } from "../../../server/release/gates";
import { dateTime, decimal, shortId } from "../../components/format";
import { ErrorText } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { CurrentPolicyBadge, Headline, RetrainBadge } from "./model-badges";
import { ModelEvaluations } from "./model-evaluations";
import { ReleaseGatePanel, verdictWords } from "./release-gate-panel";

type Ref = { id: string; name: string; kind: string; jobId: string | null };
type SnapshotRef = { id: string; format: string; rowCount: number; project: { name: string } };

function ModelLink({ model, role }: { model: Ref; role?: string }) {
  return (
    <span className="inline-block rounded border border-slate-300 bg-white px-2 py-1">
      {role && <span className="text-slate-500">{role}: </span>}
      {model.name} <span className="text-slate-500">({model.kind})</span>
      {model.jobId && (
        <>
          {" "}
          <Link href={`/admin/runs/${model.jobId}`} className="font-mono text-blue-700 underline">
            run {shortId(model.jobId)}
          </Link>
        </>
      )}
    </span>
  );
}

function SnapshotChip({ snapshot }: { snapshot: SnapshotRef }) {
  return (
    <span className="inline-block rounded border border-slate-300 bg-white px-2 py-1">
      <span className="text-slate-500">snapshot: </span>
      {snapshot.project.name} · {snapshot.format} ({snapshot.rowCount} rows) <span className="font-mono">{shortId(snapshot.id)}</span>
    </span>
  );
}

const arrow = <span className="text-slate-400">→</span>;

export function ModelDetail({ modelVersionId }: { modelVersionId: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.models.get.queryOptions({ modelVersionId }));
  const m = detail.data;
  if (detail.error) return <ErrorText message={detail.error.message} />;
  if (!m) return <p className="text-sm text-slate-500">Loading…</p>;

  // Oldest first, so the chain reads like the pipeline: snapshot → reward/safety model → policy.
  const ancestors = [...m.parents].reverse();
  const feeders = [m.snapshot, m.rewardModel?.snapshot, m.safetyModel?.snapshot].filter((s): s is NonNullable<typeof s> => Boolean(s));
  const snapshots = feeders.filter((s, i) => feeders.findIndex((x) => x.id === s.id) === i);

  return (
    <div className="space-y-3 text-sm" data-testid="model-detail">
      {m.retrainFlaggedAt && (
        <p className="text-rose-800">
          <RetrainBadge model={m} /> {m.retrainReason}
        </p>
      )}
      <div>
        <h3 className="mb-1 font-medium">Lineage</h3>
        <div className="flex flex-wrap items-center gap-2" data-testid="lineage">
          {snapshots.map((s) => (
            <SnapshotChip key={s.id} snapshot={s} />
          ))}
          {snapshots.length > 0 && arrow}
          {m.rewardModel && <ModelLink model={m.rewardModel} role="reward" />}
          {m.safetyModel && <ModelLink model={m.safetyModel} role="safety" />}
          {(m.rewardModel || m.safetyModel) && arrow}
          {ancestors.map((p) => (
            <span key={p.id} className="flex items-center gap-2">
              <ModelLink model={p} role="parent" />
              {arrow}
            </span>
          ))}
          <ModelLink model={m} />
        </div>
      </div>
      <div>
        <h3 className="mb-1 font-medium">Training eval</h3>
        <Headline items={m.headline} caveats={m.caveats} />
        {m.eval !== null && (
          <details className="mt-1">
            <summary className="cursor-pointer text-slate-500">All results</summary>
            <pre className="overflow-x-auto text-xs">{JSON.stringify(m.eval, null, 2)}</pre>
          </details>
        )}
      </div>
      <div>
        <h3 className="mb-1 font-medium">Evaluations</h3>
        <ModelEvaluations modelVersionId={m.id} />
      </div>
      {m.job && (
        <p>
          {m.checkpointStep === null ? "Made by " : `The checkpoint at step ${m.checkpointStep} of `}
          <Link href={`/admin/runs/${m.job.id}`} className="text-blue-700 underline">
            {m.job.kind} run {shortId(m.job.id)}
          </Link>{" "}
          ({m.job.state})
        </p>
      )}
      {m.prunedAt && (
        <p className="text-amber-800" data-testid="pruned-note">
          Its folder was removed on {dateTime(m.prunedAt)}: the trainer keeps only the newest checkpoints (keep_checkpoints). It stays here for its lineage and eval,
          but no run can use it.
        </p>
      )}
      <Cost modelVersionId={m.id} />
      <Promotions promotions={m.promotions} />
      {(m.kind === "policy" || m.kind === "sft") && !m.prunedAt && <PromoteForm modelVersionId={m.id} current={m.currentPolicyOf} />}
      {(m.kind === "policy" || m.kind === "sft") && !m.prunedAt && <ServeButton modelVersionId={m.id} />}
    </div>
  );
}

function PromoteForm({ modelVersionId, current }: { modelVersionId: string; current: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.all.queryOptions());
  const [projectId, setProjectId] = useState("");
  const [open, setOpen] = useState(false);
  const promote = useMutation(
    trpc.models.promote.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.models.gates.queryKey() }),
        ]);
      },
    }),
  );
  const active = projects.data?.filter((p) => !p.archivedAt) ?? [];
  const chosen = projectId || active[0]?.id || "";

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-end gap-2">
        <label className="text-sm">
          Project
          <select
            aria-label="Project to promote for"
            className="mt-1 block rounded border border-slate-300 px-2 py-1 text-sm"
            value={chosen}
            onChange={(e) => {
              setProjectId(e.target.value);
              promote.reset();
            }}
          >
            {active.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          aria-expanded={open}
          disabled={!chosen}
          onClick={() => setOpen((o) => !o)}
          className="rounded bg-slate-900 px-4 py-1.5 text-sm text-white hover:bg-slate-700 disabled:opacity-50"
        >
          Promote to current policy
        </button>
        {current.map((p) => (
          <CurrentPolicyBadge key={p.id} project={p} />
        ))}
      </div>
      {open && chosen && (
        <ReleaseGatePanel
          modelVersionId={modelVersionId}
          projectId={chosen}
          promoting={promote.isPending}
          error={promote.error?.message}
          onPromote={(overrideReason) => promote.mutate({ modelVersionId, projectId: chosen, overrideReason })}
        />
      )}
    </div>
  );
}

type Promotion = { id: string; at: Date; overrideReason: string | null; gates: unknown; project: { id: string; name: string }; actor: { name: string } | null };

/** Each time this version was promoted: by whom, on which gates, and the reason when a gate was overridden. */
function Promotions({ promotions }: { promotions: Promotion[] }) {
  if (!promotions.length) return null;
  return (
    <div>
      <h3 className="mb-1 font-medium">Promotions</h3>
      <ul className="space-y-1">
        {promotions.map((p) => {
          const gates = ((p.gates as { gates?: { gate: string; label: string; set: { name: string } | null; verdict: GateResult["verdict"] }[] }).gates ?? []).filter((g) => g.verdict !== "pass");
          return (
            <li key={p.id} data-testid="promotion" className="rounded border border-slate-200 bg-white px-2 py-1">
              Promoted in <span className="font-medium">{p.project.name}</span> on {dateTime(p.at)}
              {p.actor && ` by ${p.actor.name}`}:{" "}
              {p.overrideReason === null ? (
                <span className="text-emerald-800">every release gate passed</span>
              ) : (
                <>
                  <span className="text-red-800">release gates overridden</span>, reason: <q data-testid="override-reason">{p.overrideReason}</q>
                </>
              )}
              {gates.length > 0 && (
                <ul className="ml-4 list-disc text-xs text-slate-600">
                  {gates.map((g) => (
                    <li key={`${g.gate}:${g.set?.name ?? ""}`}>
                      {g.label}
                      {g.set && ` on ${g.set.name}`}: {verdictWords[g.verdict]}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Labels and compute along the lineage. */
function Cost({ modelVersionId }: { modelVersionId: string }) {
  const trpc = useTRPC();
  const cost = useQuery(trpc.models.cost.queryOptions({ modelVersionId }));
  const c = cost.data;
  if (cost.error) return <ErrorText message={cost.error.message} />;
  if (!c) return null;
  return (
    <div data-testid="model-cost">
      <h3 className="mb-1 font-medium">Cost, along its lineage ({c.models.length} models)</h3>
      <p>
        Labels: {c.labels.annotations} annotations from {c.labels.snapshots} snapshots, {decimal(c.labels.annotatorHours)} annotator hours
        {c.labels.timedAnnotations < c.labels.annotations && ` (${c.labels.annotations - c.labels.timedAnnotations} without a recorded time)`}.
      </p>
      <p>
        Compute: {decimal(c.compute.gpuHours)} GPU-hours (hours × GPUs) and {decimal(c.compute.cpuHours)} CPU-hours (hours on a CPU worker), over {c.compute.jobs.length} runs.
      </p>
      {c.compute.jobs.length > 0 && (
        <details>
          <summary className="cursor-pointer text-slate-500">Runs</summary>
          <ul className="text-xs">
            {c.compute.jobs.map((j) => (
              <li key={j.id}>
                <Link href={`/admin/runs/${j.id}`} className="text-blue-700 underline">
                  {j.kind} run {shortId(j.id)}
                </Link>{" "}
                ({j.models.join(", ")}): {decimal(j.hours)} h on {j.device === "gpu" ? `${j.gpus} GPU${j.gpus === 1 ? "" : "s"}` : "a CPU worker"} = {decimal(j.deviceHours)} {j.device.toUpperCase()}-hours
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** Starts a serve job: a worker keeps the model loaded for the Playground until the job is cancelled (Runs). */
function ServeButton({ modelVersionId }: { modelVersionId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const serve = useMutation(trpc.runs.start.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() }) }));
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button
        type="button"
        disabled={serve.isPending}
        onClick={() => serve.mutate({ kind: "serve", payload: { modelVersionId } })}
        className="rounded border border-slate-300 px-4 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
      >
        Serve
      </button>
      {serve.data && (
        <span data-testid="serve-started">
          Serving in{" "}
          <Link href={`/admin/runs/${serve.data.id}`} className="font-mono text-blue-700 underline">
            run {shortId(serve.data.id)}
          </Link>
          ; chat with it in the <Link href="/playground" className="text-blue-700 underline">Playground</Link>.
        </span>
      )}
      <ErrorText message={serve.error?.message} />
    </div>
  );
}
