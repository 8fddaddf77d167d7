"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { policyRoutes, type LoopPreset, type LoopStep, type PolicyRoute } from "../../../../../server/loop/loop.schema";
import type { LoopJob, LoopStatus } from "../../../../../server/loop/status";
import { evalCaveats, evalHeadline } from "../../../../../server/models/eval-headline";
import { EvalCaveats } from "../../../models/model-badges";
import { ReleaseGatePanel } from "../../../models/release-gate-panel";
import { DifferenceText, EstimateText, formatValue } from "../../../../components/estimate";
import { decimal } from "../../../../components/format";
import { ErrorText } from "../../../../components/panel";
import { useTRPC } from "../../../../trpc/client";
import { isActive, ProgressBar, StateBadge } from "../../../runs/run-format";

function StepCard({ n, id, title, done, children, action }: { n: number; id: string; title: string; done: boolean; children: React.ReactNode; action?: React.ReactNode }) {
  return (
    <li data-testid={`loop-step-${id}`} className="flex gap-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <span
        aria-label={done ? "done" : `step ${n}`}
        className={`flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-sm font-semibold ${done ? "bg-green-600 text-white" : "bg-slate-200 text-slate-700"}`}
      >
        {done ? "✓" : n}
      </span>
      <div className="min-w-0 flex-1 space-y-2">
        <h2 className="text-base">{title}</h2>
        {children}
      </div>
      {action && <div className="shrink-0">{action}</div>}
    </li>
  );
}

/** The latest run of a step: state, progress while it runs, the error if it failed, and its page. */
function RunLine({ job }: { job: LoopJob | null }) {
  if (!job) return null;
  return (
    <div className="space-y-1 text-sm">
      <div className="flex flex-wrap items-center gap-3">
        <StateBadge state={job.state} />
        {isActive(job.state) && <ProgressBar progress={job.progress} state={job.state} />}
        <Link href={`/admin/runs/${job.id}`} className="text-blue-700 underline">
          Run page
        </Link>
      </div>
      {job.state === "failed" && job.error && <ErrorText message={job.error} />}
    </div>
  );
}

/** The model a step made, with its headline eval numbers. */
function TrainedModel({ label, model }: { label: string; model: { name: string; eval: unknown } | null }) {
  if (!model) return null;
  const numbers = evalHeadline(model.eval, 2);
  return (
    <p className="text-sm">
      {label}{" "}
      <span className="font-medium" data-testid="trained-model">
        {model.name}
      </span>
      {numbers.length > 0 && <span className="text-slate-600"> ({numbers.map((h) => `${h.name.replaceAll("_", " ")} ${decimal(h.value)}`).join(", ")})</span>}
      <EvalCaveats caveats={evalCaveats(model.eval)} />
    </p>
  );
}

type Headline = LoopStatus["policy"]["evaluation"];

const routeLabels: Record<PolicyRoute, string> = {
  ppo: "PPO against the reward model",
  grpo: "GRPO against the reward model",
  dpo: "DPO straight from the labels",
};

/** The reward model's held-out pair accuracy next to the length rule, and the verdict in words. */
function RewardEvaluation({ evaluation }: { evaluation: LoopStatus["reward"]["evaluation"] }) {
  if (!evaluation) return null;
  const m = evaluation.results.metrics;
  const rule = m["baseline/longer"] && m["baseline/shorter"] ? (m["baseline/longer"].value >= m["baseline/shorter"].value ? "longer" : "shorter") : null;
  return (
    <div className="space-y-1 text-sm" data-testid="reward-evaluation">
      <p>
        Held-out pair accuracy <EstimateText e={m.pair_accuracy} percent />
        {rule && (
          <>
            {" "}
            against <EstimateText e={m[`baseline/${rule}`]} percent /> for &quot;the {rule} answer wins&quot;
          </>
        )}
        .
      </p>
      <ul className="list-disc pl-5 text-slate-700">
        {evaluation.results.verdict.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}

/** "Unsafe on disallowed prompts: 31.0 % → 12.0 %": measured on the same set, before and after. */
function EvaluationHeadline({ evaluation, projectId }: { evaluation: Headline; projectId: string }) {
  if (!evaluation) {
    return (
      <p className="text-sm text-slate-500">
        Not evaluated:{" "}
        <Link href={`/admin/projects/${projectId}/evaluation`} className="text-blue-700 underline">
          add an evaluation set
        </Link>{" "}
        and every new policy is measured on it, next to the one it was trained from.
      </p>
    );
  }
  if (!evaluation.measured) return <p className="text-sm text-slate-600">Evaluating the new policy and the one it was trained from ({evaluation.pending} runs)…</p>;
  const e = evaluation;
  return (
    <div className="space-y-1 text-sm" data-testid="loop-evaluation">
      <p className="text-slate-600">
        On the evaluation set <span className="font-medium">{e.set.name}</span>
        {e.before ? ", before → after:" : " (the policy it was trained from is not evaluated):"}
        {e.pending > 0 && ` (${e.pending} evaluation runs still going)`}
      </p>
      <ul className="space-y-0.5">
        {e.headline.map((row) => (
          <li key={row.name} data-testid="loop-evaluation-line" data-metric={row.name} data-change={row.change ?? ""}>
            {row.label}: {row.b && <span className="font-mono">{formatValue(row.b.value, row.percent)} → </span>}
            <span className="font-mono font-medium">{formatValue(row.a?.value, row.percent)}</span>
            {row.difference && (
              <span className="ml-3 text-slate-500">
                change <DifferenceText row={row} />
              </span>
            )}
          </li>
        ))}
      </ul>
      {!e.sameSetVersion && <p className="text-amber-800">The set was edited between the two evaluations: not all prompts are the same.</p>}
      {e.before && (
        <Link href={`/admin/models/compare?a=${e.after.evaluationId}&b=${e.before.evaluationId}`} className="text-blue-700 underline">
          Compare the two side by side
        </Link>
      )}
    </div>
  );
}

export function LoopSteps({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [chosenPreset, setPreset] = useState<LoopPreset | null>(null);
  const [route, setRoute] = useState<PolicyRoute>("ppo");
  const statusKey = trpc.loop.status.queryKey({ projectId });
  const status = useQuery({
    ...trpc.loop.status.queryOptions({ projectId }),
    // Fast while a run moves, slowly otherwise (annotators may be labelling meanwhile).
    refetchInterval: (q) => {
      const d = q.state.data;
      return d && [d.reward.job, d.policy.job, d.generate.job].some((j) => j && isActive(j.state)) ? 2000 : 10_000;
    },
  });
  const start = useMutation(trpc.loop.start.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: statusKey }) }));
  const s = status.data;

  if (status.error) return <ErrorText message={status.error.message} />;
  if (!s) return <p className="text-sm text-slate-500">Loading…</p>;
  // Until the admin chooses: full when a GPU worker is up, else sized for a CPU.
  const preset = chosenPreset ?? (s.workers.withGpus > 0 ? "full" : "quick");

  const busy = (job: LoopJob | null) => job !== null && isActive(job.state);
  const button = (step: LoopStep, label: string, enabled: boolean) => (
    <button type="button" className="btn btn-primary" disabled={!enabled || start.isPending || s.project.archivedAt !== null} onClick={() => start.mutate({ projectId, step, preset, route })}>
      {label}
    </button>
  );
  const errorFor = (step: LoopStep) => (start.variables?.step === step ? <ErrorText message={start.error?.message} /> : null);

  const labelled = s.labels.labelledTasks >= s.labels.needed;
  const rewardDone = s.reward.model !== null;
  const policyDone = s.policy.model !== null;
  const routeName = route.toUpperCase();
  const generated = s.generate.job?.state === "succeeded" ? ((s.generate.job.result as { tasksCreated?: number } | null)?.tasksCreated ?? 0) : null;
  const policyName = s.project.currentPolicy?.name ?? "the built-in policy";

  return (
    <>
      <div className="space-y-1">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-slate-500 hover:text-slate-800">
          ← {s.project.name}
        </Link>
        <div className="flex flex-wrap items-end gap-4">
          <h1 className="min-w-0 break-words">Training loop</h1>
          <label className="ml-auto flex items-center gap-2 text-sm text-slate-700">
            Run size
            <select className="rounded border border-slate-300 px-2 py-1" value={preset} onChange={(e) => setPreset(e.target.value as LoopPreset)}>
              <option value="quick">Quick: sized for a CPU (minutes per step)</option>
              <option value="full">Full: the trainer&apos;s defaults (for GPU workers)</option>
            </select>
          </label>
        </div>
        <p className="text-sm text-slate-600">
          Labels become a reward model, the reward model trains the policy, and the new policy&apos;s answers come back here as tasks to rank. Each step uses what the step
          before it made; the runs also appear under{" "}
          <Link href="/admin/runs" className="text-blue-700 underline">
            Training runs
          </Link>
          .
        </p>
        {s.workers.alive === 0 ? (
          <ErrorText message="No worker is running, so the runs below will wait in the queue: start one with `npm run worker` (make dev starts one)." />
        ) : (
          <p className="text-sm text-slate-600" data-testid="loop-workers">
            {s.workers.alive} worker{s.workers.alive === 1 ? "" : "s"} running, {s.workers.withGpus > 0 ? `${s.workers.withGpus} with GPUs` : "none with a GPU"}.
          </p>
        )}
      </div>

      <ol className="space-y-3">
        <StepCard
          n={1}
          id="label"
          title="Label"
          done={labelled}
          action={
            <Link href={`/label/${projectId}`} className="btn">
              Label tasks
            </Link>
          }
        >
          <p className="text-sm text-slate-700">
            {s.labels.labelledTasks} tasks labelled ({s.labels.annotations} annotations); {s.labels.openTasks} open.
            {!labelled && ` The reward model needs at least ${s.labels.needed} labelled tasks.`}
          </p>
        </StepCard>

        <StepCard n={2} id="reward" title="Snapshot the labels and train a reward model" done={rewardDone && !busy(s.reward.job)} action={button("reward", rewardDone ? "Train again" : "Train reward model", labelled && !busy(s.reward.job))}>
          <p className="text-sm text-slate-600">Freezes every labelled ranking into a snapshot and trains a Bradley–Terry reward model on it, from the MiniLM encoder.</p>
          <TrainedModel label="Reward model" model={s.reward.model} />
          <RewardEvaluation evaluation={s.reward.evaluation} />
          <RunLine job={s.reward.job} />
          {errorFor("reward")}
        </StepCard>

        <StepCard
          n={3}
          id="policy"
          title="Improve the policy"
          done={policyDone && !busy(s.policy.job)}
          action={button("policy", policyDone ? `Run ${routeName} again` : `Run ${routeName}`, (route === "dpo" ? labelled || rewardDone : rewardDone) && !busy(s.policy.job))}
        >
          <label className="flex flex-wrap items-center gap-2 text-sm text-slate-700">
            Route
            <select className="rounded border border-slate-300 px-2 py-1" value={route} onChange={(e) => setRoute(e.target.value as PolicyRoute)} aria-label="Route">
              {policyRoutes.map((r) => (
                <option key={r} value={r}>
                  {routeLabels[r]}
                </option>
              ))}
            </select>
          </label>
          <p className="text-sm text-slate-600">
            {route === "dpo"
              ? `Trains ${policyName} on the preference pairs of the labels directly (no reward model), staying close to where it started.`
              : `Trains ${policyName} against the reward model on the snapshot's prompts${route === "grpo" ? ", comparing several answers to each prompt with each other" : ""}, with a KL penalty that keeps it close to where it started.`}
          </p>
          <TrainedModel label="New policy" model={s.policy.model} />
          {s.policy.model && <EvaluationHeadline evaluation={s.policy.evaluation} projectId={projectId} />}
          <RunLine job={s.policy.job} />
          {errorFor("policy")}
        </StepCard>

        <StepCard n={4} id="promote" title="Promote the new policy" done={s.promoted}>
          <p className="text-sm text-slate-700">
            Current policy: <span className="font-medium">{policyName}</span>. The project&apos;s tasks are generated from its current policy.
          </p>
          {s.policy.model && !s.promoted && (
            // The same gates and panel as the model's page.
            <ReleaseGatePanel
              modelVersionId={s.policy.model.id}
              projectId={projectId}
              promoting={start.isPending}
              disabled={s.project.archivedAt !== null}
              error={start.variables?.step === "promote" ? start.error?.message : null}
              onPromote={(overrideReason) => start.mutate({ projectId, step: "promote", preset, route, overrideReason })}
            />
          )}
        </StepCard>

        <StepCard n={5} id="generate" title="Generate new tasks" done={generated !== null && !busy(s.generate.job)} action={button("generate", "Generate", rewardDone && !busy(s.generate.job))}>
          <p className="text-sm text-slate-600">
            Samples {s.project.k} answers per prompt from {policyName}; they come back as tasks for annotators to rank, and the loop starts again.
          </p>
          {generated !== null && (
            <p className="text-sm">
              {generated} new tasks.{" "}
              {generated > 0 && (
                <Link href={`/label/${projectId}`} className="text-blue-700 underline">
                  Label them
                </Link>
              )}
            </p>
          )}
          <RunLine job={s.generate.job} />
          {errorFor("generate")}
        </StepCard>
      </ol>
    </>
  );
}
