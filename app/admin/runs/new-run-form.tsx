"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { readsFormats } from "../../../server/training/trainer-config";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { ChoiceSelect, Field, inputClass, ModelSelect, newSnapshotValue, NewSnapshotFilters, ProjectSelect, SnapshotSelect, TextInput } from "./run-form-fields";
import { buildRunInput, defaultFields, dpoLossTypes, ensembleIds, type FieldErrors, type Fields, type FormKind, formKinds, kindsWithNewSnapshot, margins, safetyModes } from "./run-payload";

/** Snapshot formats each kind reads: the lists the server checks a run's snapshot against. */
const snapshotFormats: Record<FormKind, readonly string[]> = {
  train_reward: readsFormats.reward,
  train_safety: readsFormats.safety,
  train_sft: readsFormats.sft,
  dpo: readsFormats.dpo,
  kto: readsFormats.kto,
  grpo: readsFormats.prompts,
  rloo: readsFormats.prompts,
  ppo: readsFormats.prompts,
  generate: readsFormats.prompts,
  evaluate: readsFormats.pairs,
  // Scores the project's unlabelled tasks, read from the database: no snapshot.
  acquire: [],
  forecast: readsFormats.reward,
};
const policyKinds = ["policy", "sft"];

function EvaluationSetSelect({ projectId, value, onChange, error }: { projectId: string; value: string; onChange: (v: string) => void; error?: string }) {
  const trpc = useTRPC();
  const sets = useQuery(trpc.evaluation.sets.queryOptions({ projectId }, { enabled: Boolean(projectId) }));
  return (
    <Field label="Evaluation set" id="run-evaluation-set" error={error}>
      <select id="run-evaluation-set" className={inputClass} value={value} onChange={(e) => onChange(e.target.value)} disabled={!projectId}>
        <option value="">{projectId ? (sets.data?.length === 0 ? "This project has no evaluation set" : "Choose…") : "Choose a project first"}</option>
        {sets.data?.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name} ({s.prompts} prompts, version {s.version})
          </option>
        ))}
      </select>
    </Field>
  );
}

type EnsembleModel = { id: string; name: string; kind: string; projectId: string | null; checkpointStep: number | null; createdAt: Date };

/** The acquisition's ensemble: any of the project's final reward models; none chosen = its 3 most recent. */
function EnsemblePicker({ projectId, models, value, onChange, error }: { projectId: string; models: EnsembleModel[]; value: string; onChange: (v: string) => void; error?: string }) {
  const chosen = new Set(ensembleIds(value));
  const candidates = models.filter((m) => m.kind === "reward" && m.checkpointStep === null && m.projectId === projectId);
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onChange([...next].join(","));
  };
  return (
    <fieldset className="sm:col-span-2" aria-describedby="run-ensemble-help">
      <legend className="block text-sm font-medium text-slate-700">Reward-model ensemble</legend>
      <p id="run-ensemble-help" className="text-xs text-slate-500">
        {chosen.size === 0 ? "None chosen: the project's 3 most recent reward models." : `${chosen.size} chosen.`} At least 2: the run measures where they disagree.
      </p>
      {!projectId ? (
        <p className="mt-1 text-sm text-slate-500">Choose a project first.</p>
      ) : candidates.length === 0 ? (
        <p className="mt-1 text-sm text-slate-500">This project has no trained reward model yet.</p>
      ) : (
        <ul className="mt-1 max-h-48 space-y-1 overflow-auto rounded border border-slate-200 p-2">
          {candidates.map((m) => (
            <li key={m.id}>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={chosen.has(m.id)} onChange={() => toggle(m.id)} />
                <span>{m.name}</span>
                <span className="text-xs text-slate-500">{m.createdAt.toLocaleString()}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="mt-1 text-xs text-red-700" data-testid="run-ensemble-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export function NewRunForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<FormKind>("train_reward");
  const [f, setF] = useState<Fields>(defaultFields);
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = (k: keyof Fields) => (v: string) => setF((prev) => ({ ...prev, [k]: v }));
  const setEvent = (k: keyof Fields) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => set(k)(e.target.value);

  const projects = useQuery(trpc.projects.all.queryOptions());
  const models = useQuery(trpc.models.list.queryOptions({ limit: 500 }));
  const projectList = projects.data ?? [];
  const modelList = models.data ?? [];

  const start = useMutation(
    trpc.runs.start.mutationOptions({
      onSuccess: async (job) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        router.push(`/admin/runs/${job.id}`);
      },
    }),
  );

  function chooseKind(next: FormKind) {
    setKind(next);
    // Snapshots and models differ by kind; the numbers and the project stay.
    setF((p) => ({ ...p, snapshotId: "", baseModelId: "", ensemble: "" }));
    setErrors({});
    start.reset();
  }

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const built = buildRunInput(kind, f);
    if ("errors" in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    start.mutate(built.input);
  }

  const evalTarget = kind === "evaluate" ? f.evalTarget : null;
  const snapshotProject = (
    <ProjectSelect
      id="run-project"
      label={kind === "ppo" || kind === "grpo" || kind === "rloo" || kind === "generate" ? "Prompts from project" : "Project"}
      value={f.projectId}
      onChange={(v) => setF((p) => ({ ...p, projectId: v, snapshotId: "" }))}
      projects={projectList}
      error={errors.projectId}
    />
  );
  const snapshot = (
    <SnapshotSelect
      id="run-snapshot"
      label={kind === "ppo" || kind === "grpo" || kind === "rloo" || kind === "generate" ? "Prompts snapshot" : evalTarget === "safety" ? "Snapshot with safety labels" : evalTarget === "reward" ? "Snapshot of comparisons" : "Snapshot"}
      projectId={f.projectId}
      formats={snapshotFormats[kind]}
      value={f.snapshotId}
      onChange={set("snapshotId")}
      error={errors.snapshotId}
      allowNew={kindsWithNewSnapshot.includes(kind)}
    />
  );
  const usesNewSnapshot = f.snapshotId === newSnapshotValue && kindsWithNewSnapshot.includes(kind) && !(kind === "generate" && f.promptSource === "list");
  const nameField = <TextInput id="run-name" label="Model name (optional)" value={f.name} onChange={set("name")} />;
  const policy = (
    <ModelSelect
      id="run-policy"
      label="Policy"
      models={modelList}
      kinds={policyKinds}
      value={f.policyModelId}
      onChange={set("policyModelId")}
      empty={kind === "evaluate" ? "Choose…" : kind === "generate" ? "Default (the project's current policy)" : "Default (built-in policy)"}
      error={errors.policyModelId}
    />
  );
  const targetK = projectList.find((p) => p.id === f.targetProjectId)?.k;
  const splitField = (
    <div className="grid gap-4 sm:grid-cols-3">
      <TextInput id="run-split" label="Held-out split name (optional)" value={f.split} onChange={set("split")} error={errors.split} />
    </div>
  );

  return (
    <Panel title="New run">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Kind" id="run-kind">
            <select id="run-kind" className={inputClass} value={kind} onChange={(e) => chooseKind(e.target.value as FormKind)}>
              {formKinds.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
          </Field>
        </div>

        {kind === "train_reward" && (
          <>
            <div className="grid gap-4 sm:grid-cols-3">
              {snapshotProject}
              {snapshot}
              <ModelSelect id="run-base-model" label="Base model" models={modelList} kinds={["base", "reward"]} value={f.baseModelId} onChange={set("baseModelId")} empty="Default (built-in encoder)" />
            </div>
            <div className="grid gap-4 sm:grid-cols-5">
              <TextInput id="run-epochs" label="Epochs" inputMode="numeric" value={f.epochs} onChange={set("epochs")} error={errors.epochs} />
              <TextInput id="run-batch-size" label="Batch size" inputMode="numeric" value={f.batchSize} onChange={set("batchSize")} error={errors.batchSize} />
              <TextInput id="run-lr" label="Learning rate" inputMode="decimal" value={f.lr} onChange={set("lr")} error={errors.lr} />
              <ChoiceSelect id="run-margin" label="Margin" options={margins} value={f.margin} onChange={set("margin")} error={errors.margin} />
              {nameField}
            </div>
            {splitField}
          </>
        )}

        {(kind === "train_safety" || kind === "train_sft") && (
          <div className="grid gap-4 sm:grid-cols-4">
            {snapshotProject}
            {snapshot}
            {kind === "train_safety" ? (
              <ModelSelect id="run-base-model" label="Backbone" models={modelList} kinds={["base", "safety"]} value={f.baseModelId} onChange={set("baseModelId")} empty="Default (built-in encoder)" />
            ) : (
              <ModelSelect id="run-base-model" label="Base policy" models={modelList} kinds={policyKinds} value={f.baseModelId} onChange={set("baseModelId")} empty="Default (built-in policy)" />
            )}
            {nameField}
          </div>
        )}
        {kind === "train_safety" && splitField}

        {(kind === "dpo" || kind === "kto") && (
          <>
            <div className="grid gap-4 sm:grid-cols-4">
              {snapshotProject}
              {snapshot}
              <ModelSelect id="run-base-model" label="Policy to train (also the reference)" models={modelList} kinds={policyKinds} value={f.baseModelId} onChange={set("baseModelId")} empty="Default (built-in policy)" />
              {nameField}
            </div>
            <div className="grid gap-4 sm:grid-cols-6">
              {kind === "dpo" && <ChoiceSelect id="run-dpo-loss" label="Loss" options={dpoLossTypes} value={f.dpoLossType} onChange={set("dpoLossType")} error={errors.dpoLossType} />}
              <TextInput id="run-beta" label="β" inputMode="decimal" value={f.beta} onChange={set("beta")} error={errors.beta} />
              <TextInput id="run-dpo-lr" label="Learning rate" inputMode="decimal" value={f.dpoLr} onChange={set("dpoLr")} error={errors.dpoLr} />
              <TextInput id="run-dpo-epochs" label="Epochs" inputMode="numeric" value={f.dpoEpochs} onChange={set("dpoEpochs")} error={errors.dpoEpochs} />
              <TextInput id="run-batch-size" label="Batch size" inputMode="numeric" value={f.batchSize} onChange={set("batchSize")} error={errors.batchSize} />
              <TextInput id="run-lora-r" label="LoRA r (0 = full)" inputMode="numeric" value={f.loraR} onChange={set("loraR")} error={errors.loraR} />
            </div>
            {splitField}
          </>
        )}

        {(kind === "ppo" || kind === "grpo" || kind === "rloo") && (
          <>
            <div className="grid gap-4 sm:grid-cols-3">
              {policy}
              <ModelSelect
                id="run-reward-model"
                label={kind === "ppo" ? "Reward model" : "Reward model (optional with a safety model)"}
                models={modelList}
                kinds={["reward"]}
                value={f.rewardModelId}
                onChange={set("rewardModelId")}
                empty={kind === "ppo" ? "Choose…" : "None"}
                error={errors.rewardModelId}
              />
              <ModelSelect id="run-safety-model" label="Safety model (optional)" models={modelList} kinds={["safety"]} value={f.safetyModelId} onChange={set("safetyModelId")} empty="None" />
              {snapshotProject}
              {snapshot}
              {nameField}
            </div>
            <div className="grid gap-4 sm:grid-cols-5">
              <TextInput id="run-steps" label="Steps" inputMode="numeric" value={f.steps} onChange={set("steps")} error={errors.steps} />
              <TextInput id="run-ppo-batch-size" label="Batch size" inputMode="numeric" value={f.ppoBatchSize} onChange={set("ppoBatchSize")} error={errors.ppoBatchSize} />
              <TextInput id="run-max-new-tokens" label="Max new tokens" inputMode="numeric" value={f.maxNewTokens} onChange={set("maxNewTokens")} error={errors.maxNewTokens} />
              <ChoiceSelect id="run-safety-mode" label="Safety mode" options={safetyModes} value={f.safetyMode} onChange={set("safetyMode")} error={errors.safetyMode} />
              <TextInput id="run-lora-r" label="LoRA r (0 = full)" inputMode="numeric" value={f.loraR} onChange={set("loraR")} error={errors.loraR} />
              {kind !== "ppo" && (
                <TextInput id="run-num-generations" label="Samples per prompt (G)" inputMode="numeric" value={f.numGenerations} onChange={set("numGenerations")} error={errors.numGenerations} />
              )}
            </div>
          </>
        )}

        {kind === "generate" && (
          <>
            <div className="grid gap-4 sm:grid-cols-3">
              {policy}
              <ProjectSelect id="run-target-project" label="Target project (new tasks go here)" value={f.targetProjectId} onChange={set("targetProjectId")} projects={projectList} error={errors.targetProjectId} />
              <Field label="Samples per prompt (K)" id="run-k">
                <input id="run-k" className={inputClass} value={targetK === undefined ? "the project's K" : String(targetK)} readOnly disabled />
              </Field>
              <Field label="Prompts from" id="run-prompt-source">
                <select id="run-prompt-source" className={inputClass} value={f.promptSource} onChange={setEvent("promptSource")}>
                  <option value="snapshot">a snapshot</option>
                  <option value="list">a list (one per line)</option>
                </select>
              </Field>
              {f.promptSource === "snapshot" ? (
                <>
                  {snapshotProject}
                  {snapshot}
                </>
              ) : (
                <div className="sm:col-span-2">
                  <Field label="Prompts (one per line)" id="run-prompts" error={errors.prompts}>
                    <textarea id="run-prompts" className={inputClass} rows={4} value={f.prompts} onChange={setEvent("prompts")} />
                  </Field>
                </div>
              )}
            </div>
            <div className="grid gap-4 sm:grid-cols-3">
              <TextInput id="run-temperature" label="Temperature" inputMode="decimal" value={f.temperature} onChange={set("temperature")} error={errors.temperature} />
              <TextInput id="run-gen-max-new-tokens" label="Max new tokens" inputMode="numeric" value={f.genMaxNewTokens} onChange={set("genMaxNewTokens")} error={errors.genMaxNewTokens} />
            </div>
          </>
        )}

        {kind === "evaluate" && (
          <div className="grid gap-4 sm:grid-cols-3">
            <Field label="Evaluate" id="run-eval-target">
              <select
                id="run-eval-target"
                className={inputClass}
                value={f.evalTarget}
                onChange={(e) => setF((p) => ({ ...p, evalTarget: e.target.value as Fields["evalTarget"], snapshotId: "", evaluationSetId: "" }))}
              >
                <option value="reward">a reward model on held-out comparisons</option>
                <option value="safety">a safety model against the annotators&apos; labels</option>
                <option value="policy">a policy on an evaluation set</option>
              </select>
            </Field>
            {f.evalTarget === "reward" && (
              <>
                <ModelSelect id="run-reward-model" label="Reward model" models={modelList} kinds={["reward"]} value={f.rewardModelId} onChange={set("rewardModelId")} empty="Choose…" error={errors.rewardModelId} />
                <ModelSelect
                  id="run-compare-reward-model"
                  label="Compare with (optional, e.g. its parent)"
                  models={modelList}
                  kinds={["reward"]}
                  value={f.compareRewardModelId}
                  onChange={set("compareRewardModelId")}
                  empty="None"
                />
              </>
            )}
            {f.evalTarget === "safety" && (
              <ModelSelect id="run-safety-model" label="Safety model" models={modelList} kinds={["safety"]} value={f.safetyModelId} onChange={set("safetyModelId")} empty="Choose…" error={errors.safetyModelId} />
            )}
            {f.evalTarget === "policy" && (
              <>
                {policy}
                <ModelSelect id="run-eval-reward-model" label="Reward model (optional)" models={modelList} kinds={["reward"]} value={f.rewardModelId} onChange={set("rewardModelId")} empty="None" />
                <ModelSelect id="run-safety-model" label="Safety model (optional)" models={modelList} kinds={["safety"]} value={f.safetyModelId} onChange={set("safetyModelId")} empty="None" />
              </>
            )}
            {snapshotProject}
            {f.evalTarget === "policy" ? <EvaluationSetSelect projectId={f.projectId} value={f.evaluationSetId} onChange={set("evaluationSetId")} error={errors.evaluationSetId} /> : snapshot}
            {f.evalTarget !== "policy" && (
              <Field label="Prompts scored" id="run-held-out-only">
                <select id="run-held-out-only" className={inputClass} value={f.heldOutOnly} onChange={setEvent("heldOutOnly")}>
                  <option value="true">only those its training run held out</option>
                  <option value="false">every prompt of the snapshot</option>
                </select>
              </Field>
            )}
          </div>
        )}

        {kind === "forecast" && (
          <>
            <p className="text-sm text-slate-600">
              Trains reward models on 1/16, 1/8, 1/4, 1/2 and all of the snapshot&apos;s training prompts, measures each on the same held-out prompts, and fits how
              accuracy grows with pairs. The subset models are not kept.
            </p>
            <div className="grid gap-4 sm:grid-cols-3">
              {snapshotProject}
              {snapshot}
              <ModelSelect id="run-base-model" label="Base model" models={modelList} kinds={["base", "reward"]} value={f.baseModelId} onChange={set("baseModelId")} empty="Default (built-in encoder)" />
            </div>
            <div className="grid gap-4 sm:grid-cols-4">
              <TextInput id="run-epochs" label="Epochs" inputMode="numeric" value={f.epochs} onChange={set("epochs")} error={errors.epochs} />
              <TextInput id="run-batch-size" label="Batch size" inputMode="numeric" value={f.batchSize} onChange={set("batchSize")} error={errors.batchSize} />
              <TextInput id="run-lr" label="Learning rate" inputMode="decimal" value={f.lr} onChange={set("lr")} error={errors.lr} />
              <ChoiceSelect id="run-margin" label="Margin" options={margins} value={f.margin} onChange={set("margin")} error={errors.margin} />
            </div>
            <div className="grid gap-4 sm:grid-cols-4">
              <TextInput id="run-target-accuracy" label="Target held-out accuracy, % (optional)" inputMode="decimal" value={f.targetAccuracy} onChange={set("targetAccuracy")} error={errors.targetAccuracy} />
              <TextInput id="run-more-pairs" label="More pairs (optional)" inputMode="numeric" value={f.morePairs} onChange={set("morePairs")} error={errors.morePairs} />
              <TextInput id="run-eval-fraction" label="Held-out share (blank: the project's)" inputMode="decimal" value={f.evalFraction} onChange={set("evalFraction")} error={errors.evalFraction} />
              <TextInput id="run-resamples" label="Bootstrap refits" inputMode="numeric" value={f.resamples} onChange={set("resamples")} error={errors.resamples} />
            </div>
            {splitField}
          </>
        )}

        {kind === "acquire" && (
          <>
            <div className="grid gap-4 sm:grid-cols-3">
              <ProjectSelect
                id="run-project"
                label="Project (its unlabelled tasks are scored)"
                value={f.projectId}
                onChange={(v) => setF((p) => ({ ...p, projectId: v, ensemble: "" }))}
                projects={projectList}
                error={errors.projectId}
              />
              <EnsemblePicker projectId={f.projectId} models={modelList} value={f.ensemble} onChange={set("ensemble")} error={errors.ensemble} />
            </div>
            <div className="grid gap-4 sm:grid-cols-4">
              <ModelSelect id="run-safety-model" label="Safety model (optional)" models={modelList} kinds={["safety"]} value={f.safetyModelId} onChange={set("safetyModelId")} empty="None" />
              <TextInput id="run-borderline-weight" label="Borderline weight" inputMode="decimal" value={f.borderlineWeight} onChange={set("borderlineWeight")} error={errors.borderlineWeight} />
              <TextInput id="run-acquire-batch-size" label="Batch size" inputMode="numeric" value={f.acquireBatchSize} onChange={set("acquireBatchSize")} error={errors.acquireBatchSize} />
              <TextInput id="run-acquire-max-length" label="Max length (tokens)" inputMode="numeric" value={f.acquireMaxLength} onChange={set("acquireMaxLength")} error={errors.acquireMaxLength} />
            </div>
          </>
        )}

        {usesNewSnapshot && (
          <NewSnapshotFilters reviewed={f.snapshotReviewed} minAgreement={f.snapshotMinAgreement} from={f.snapshotFrom} onChange={(k, v) => set(k)(v)} errors={errors} />
        )}
        <ErrorText message={start.error?.message ?? projects.error?.message ?? models.error?.message} />
        <button type="submit" disabled={start.isPending} className="rounded bg-slate-900 px-4 py-1.5 text-sm text-white hover:bg-slate-700 disabled:opacity-50">
          {start.isPending ? "Starting…" : "Start run"}
        </button>
      </form>
    </Panel>
  );
}
