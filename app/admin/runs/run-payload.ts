import type { z } from "zod";
import type { ZStartRunInput } from "../../../server/runs/run.schema";
import { ZDpoOverrides } from "../../../server/training/trainer-options.generated";

type TStartRunInput = z.input<typeof ZStartRunInput>;

/** What the kind picker offers, in the order of the loop: label → reward/safety/SFT → PPO → generate → evaluate → choose what to label next. */
export const formKinds = [
  { kind: "train_reward", label: "Reward model" },
  { kind: "train_safety", label: "Safety model" },
  { kind: "train_sft", label: "SFT" },
  { kind: "dpo", label: "DPO (policy straight from the labels)" },
  { kind: "kto", label: "KTO (policy from responses labelled good or bad)" },
  { kind: "ppo", label: "PPO" },
  { kind: "grpo", label: "GRPO" },
  { kind: "rloo", label: "RLOO" },
  { kind: "generate", label: "Generate" },
  { kind: "evaluate", label: "Evaluate" },
  { kind: "acquire", label: "Acquisition (which tasks to label next)" },
  { kind: "forecast", label: "Forecast (what more labels would buy)" },
] as const;
export type FormKind = (typeof formKinds)[number]["kind"];

export const margins = ["none", "small", "large"] as const;
export const safetyModes = ["auto", "table", "gated", "lagrangian", "none"] as const;
/** TRL's DPO losses, as the trainer accepts them. */
export const dpoLossTypes = ZDpoOverrides.shape.loss_type.unwrap().options;

/** The trainer's own defaults (workers/trainer/trainer/commands/*.py), shown so nothing is hidden. */
export const defaultFields = {
  projectId: "",
  /** A snapshot's id, or "new": freeze one from the filters below when the run starts. */
  snapshotId: "",
  snapshotReviewed: "",
  snapshotMinAgreement: "",
  snapshotFrom: "",
  baseModelId: "",
  name: "",
  /** A held-out split's name; blank keeps the project's, so versions are compared on the same prompts. */
  split: "",
  // reward
  epochs: "1",
  batchSize: "8",
  lr: "0.00001",
  margin: "none",
  // dpo
  dpoLossType: "sigmoid",
  beta: "0.1",
  dpoLr: "0.000001",
  dpoEpochs: "1",
  // grpo, rloo
  numGenerations: "4",
  // ppo, generate, evaluate
  policyModelId: "",
  rewardModelId: "",
  safetyModelId: "",
  steps: "100",
  ppoBatchSize: "8",
  maxNewTokens: "64",
  safetyMode: "auto",
  loraR: "0",
  // generate
  targetProjectId: "",
  promptSource: "snapshot" as "snapshot" | "list",
  prompts: "",
  temperature: "1",
  genMaxNewTokens: "256",
  // evaluate
  evalTarget: "reward" as "reward" | "safety" | "policy",
  compareRewardModelId: "",
  evaluationSetId: "",
  /** "true": score only the prompts the model's training run held out. */
  heldOutOnly: "true",
  // acquire
  /** The ensemble's reward model ids, comma-separated; none: the project's 3 most recent. */
  ensemble: "",
  borderlineWeight: "0",
  acquireBatchSize: "16",
  acquireMaxLength: "512",
  // forecast (epochs, batch size, learning rate and margin are the reward fields above)
  /** Share of prompts held out; blank: the project's share, so the forecast measures on its held-out prompts. */
  evalFraction: "",
  /** Held-out accuracy in %, blank: not asked. */
  targetAccuracy: "",
  /** Blank: not asked. */
  morePairs: "",
  resamples: "1000",
};
export type Fields = typeof defaultFields;
export type FieldErrors = Partial<Record<keyof Fields, string>>;

/** The format a snapshot created for each kind is frozen in (kinds that read one snapshot). */
const newSnapshotFormat = { train_reward: "rankings", train_safety: "rankings", train_sft: "sft", dpo: "rankings", kto: "rankings", grpo: "rankings", rloo: "rankings", ppo: "rankings", generate: "rankings", forecast: "rankings" } as const;
export const kindsWithNewSnapshot = Object.keys(newSnapshotFormat) as FormKind[];

/** The ensemble field's ids (comma-separated, as the form keeps them). */
export function ensembleIds(v: string): string[] {
  return v
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
}

function wholeNumber(v: string, min: number, max: number) {
  const n = Number(v);
  return v.trim() !== "" && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/**
 * Checks the form for one kind and builds what `runs.start` takes. The server checks again with the
 * kind's own schema, and that the snapshots and models exist and fit.
 */
export function buildRunInput(kind: FormKind, f: Fields): { errors: FieldErrors } | { input: TStartRunInput } {
  const errors: FieldErrors = {};
  const name = f.name.trim() ? { name: f.name.trim() } : {};
  const need = (k: keyof Fields, message: string) => {
    if (!f[k]) errors[k] = message;
  };
  const int = (k: keyof Fields, label: string, min: number, max: number) => {
    const n = wholeNumber(f[k], min, max);
    if (n === null) errors[k] = `${label} must be a whole number from ${min} to ${max}`;
    return n ?? 0;
  };
  const opt = (k: "baseModelId" | "policyModelId" | "safetyModelId") => (f[k] ? { [k]: f[k] } : {});
  /** The chosen snapshot under `key`, or, for "new", the filters `runs.start` freezes into one. */
  const snapshot = (k: keyof typeof newSnapshotFormat, key: "snapshotId" | "promptsSnapshotId") => {
    if (f.snapshotId !== "new") return { payload: { [key]: f.snapshotId }, newSnapshot: {} };
    const minAgreement = Number(f.snapshotMinAgreement);
    if (f.snapshotMinAgreement.trim() !== "" && !(Number.isFinite(minAgreement) && minAgreement >= 0 && minAgreement <= 1)) {
      errors.snapshotMinAgreement = "Min agreement is a number from 0 to 1";
    }
    const request = {
      format: newSnapshotFormat[k],
      ...(f.snapshotReviewed ? { reviewState: f.snapshotReviewed } : {}),
      ...(f.snapshotMinAgreement.trim() !== "" ? { minAgreement } : {}),
      ...(f.snapshotFrom ? { from: f.snapshotFrom } : {}),
    };
    return { payload: {}, newSnapshot: { newSnapshot: { projectId: f.projectId, request } } };
  };
  const done = (input: TStartRunInput) => (Object.keys(errors).length > 0 ? { errors } : { input });
  const split = () => {
    const name = f.split.trim();
    if (name && !/^[A-Za-z0-9][\w.-]{0,99}$/.test(name)) errors.split = "A split's name is letters, digits, '.', '_' and '-' (at most 100)";
    return name ? { split: name } : {};
  };

  // The reward model's own training fields: train_reward's, and each of a forecast's subset runs.
  const rewardTraining = () => {
    const epochs = int("epochs", "Epochs", 1, 10_000);
    const batch = int("batchSize", "Batch size", 1, 65_536);
    const lr = Number(f.lr);
    if (f.lr.trim() === "" || !Number.isFinite(lr) || lr <= 0 || lr > 1) errors.lr = "Learning rate must be a number in (0, 1]";
    if (!(margins as readonly string[]).includes(f.margin)) errors.margin = "Margin is none, small or large";
    return { epochs, batch_size: batch, lr, margin: f.margin as (typeof margins)[number] };
  };

  switch (kind) {
    case "train_reward": {
      need("projectId", "Choose a project");
      need("snapshotId", "Choose a snapshot");
      const training = rewardTraining();
      const s = snapshot(kind, "snapshotId");
      return done({
        kind,
        payload: { ...s.payload, ...opt("baseModelId"), ...name, config: { ...training, ...split() } },
        ...s.newSnapshot,
      });
    }
    case "forecast": {
      need("projectId", "Choose a project");
      need("snapshotId", "Choose a snapshot");
      const training = rewardTraining();
      const resamples = int("resamples", "Bootstrap refits", 10, 100_000);
      const fraction = Number(f.evalFraction);
      if (f.evalFraction.trim() !== "" && !(Number.isFinite(fraction) && fraction > 0 && fraction < 1)) {
        errors.evalFraction = "Held-out share is a number between 0 and 1 (both excluded): every run is measured on held-out prompts";
      }
      const target = Number(f.targetAccuracy);
      if (f.targetAccuracy.trim() !== "" && !(Number.isFinite(target) && target > 0 && target < 100)) errors.targetAccuracy = "Target accuracy is a percentage between 0 and 100 (both excluded)";
      const more = f.morePairs.trim() === "" ? null : int("morePairs", "More pairs", 1, 1_000_000_000);
      const s = snapshot(kind, "snapshotId");
      return done({
        kind,
        payload: {
          ...s.payload,
          ...opt("baseModelId"),
          ...name,
          config: {
            ...training,
            resamples,
            ...(f.evalFraction.trim() !== "" ? { eval_fraction: fraction } : {}),
            ...(f.targetAccuracy.trim() !== "" ? { target_accuracy: target / 100 } : {}),
            ...(more !== null ? { more_pairs: more } : {}),
            ...split(),
          },
        },
        ...s.newSnapshot,
      });
    }
    case "train_safety":
    case "train_sft": {
      need("projectId", "Choose a project");
      need("snapshotId", "Choose a snapshot");
      const s = snapshot(kind, "snapshotId");
      if (kind === "train_safety") return done({ kind, payload: { ...s.payload, ...opt("baseModelId"), ...name, config: { ...split() } }, ...s.newSnapshot });
      return done({ kind, payload: { ...s.payload, ...opt("baseModelId"), ...name, config: {} }, ...s.newSnapshot });
    }
    case "dpo":
    case "kto": {
      need("projectId", "Choose a project");
      need("snapshotId", "Choose a snapshot");
      const epochs = int("dpoEpochs", "Epochs", 1, 10_000);
      const batch = int("batchSize", "Batch size", 1, 65_536);
      const loraR = int("loraR", "LoRA r", 0, 4096);
      const lr = Number(f.dpoLr);
      if (f.dpoLr.trim() === "" || !Number.isFinite(lr) || lr <= 0 || lr > 1) errors.dpoLr = "Learning rate must be a number in (0, 1]";
      const beta = Number(f.beta);
      if (f.beta.trim() === "" || !Number.isFinite(beta) || beta <= 0) errors.beta = "β must be a number above 0";
      const s = snapshot(kind, "snapshotId");
      const common = { epochs, batch_size: batch, lr, beta, lora_r: loraR, ...split() };
      if (kind === "kto") return done({ kind, payload: { ...s.payload, ...opt("baseModelId"), ...name, config: common }, ...s.newSnapshot });
      if (!(dpoLossTypes as readonly string[]).includes(f.dpoLossType)) errors.dpoLossType = `Loss is one of ${dpoLossTypes.join(", ")}`;
      return done({
        kind,
        payload: {
          ...s.payload,
          ...opt("baseModelId"),
          ...name,
          config: { ...common, loss_type: f.dpoLossType as (typeof dpoLossTypes)[number] },
        },
        ...s.newSnapshot,
      });
    }
    case "ppo":
    case "grpo":
    case "rloo": {
      if (kind === "ppo") need("rewardModelId", "Choose a reward model");
      else if (!f.rewardModelId && !f.safetyModelId) errors.rewardModelId = "Choose a reward model, a safety model or both";
      need("projectId", "Choose the prompts' project");
      need("snapshotId", "Choose a prompts snapshot");
      const steps = int("steps", "Steps", 1, 1_000_000);
      const batch = int("ppoBatchSize", "Batch size", 1, 65_536);
      const tokens = int("maxNewTokens", "Max new tokens", 1, 1_048_576);
      const loraR = int("loraR", "LoRA r", 0, 4096);
      if (!(safetyModes as readonly string[]).includes(f.safetyMode)) errors.safetyMode = `Safety mode is one of ${safetyModes.join(", ")}`;
      const s = snapshot(kind, "promptsSnapshotId");
      const config = { steps, batch_size: batch, max_new_tokens: tokens, safety_mode: f.safetyMode as (typeof safetyModes)[number], lora_r: loraR };
      const models = { ...opt("policyModelId"), ...opt("safetyModelId"), ...s.payload, ...name };
      if (kind === "ppo") return done({ kind, payload: { ...models, rewardModelId: f.rewardModelId, config }, ...s.newSnapshot });
      const reward = f.rewardModelId ? { rewardModelId: f.rewardModelId } : {};
      const groups = { num_generations: int("numGenerations", "Samples per prompt", 2, 256) };
      return done({ kind, payload: { ...models, ...reward, config: { ...config, ...groups } }, ...s.newSnapshot });
    }
    case "generate": {
      need("targetProjectId", "Choose the project the new tasks go to");
      const prompts = f.prompts
        .split("\n")
        .map((p) => p.trim())
        .filter((p) => p !== "");
      if (f.promptSource === "snapshot") {
        need("projectId", "Choose the prompts' project");
        need("snapshotId", "Choose a prompts snapshot");
      } else if (prompts.length === 0) errors.prompts = "Write at least one prompt, one per line";
      const temperature = Number(f.temperature);
      if (f.temperature.trim() === "" || !Number.isFinite(temperature) || temperature < 0) errors.temperature = "Temperature must be a number ≥ 0 (0 is greedy)";
      const tokens = int("genMaxNewTokens", "Max new tokens", 1, 1_048_576);
      const s = f.promptSource === "snapshot" ? snapshot(kind, "snapshotId") : { payload: { prompts }, newSnapshot: {} };
      return done({
        kind,
        payload: { ...opt("policyModelId"), projectId: f.targetProjectId, ...s.payload, config: { temperature, max_new_tokens: tokens } },
        ...s.newSnapshot,
      });
    }
    case "evaluate": {
      need("projectId", "Choose a project");
      const heldOutOnly = f.heldOutOnly === "true";
      if (f.evalTarget === "reward") {
        need("rewardModelId", "Choose a reward model");
        need("snapshotId", "Choose a snapshot");
        const compare = f.compareRewardModelId ? { compareRewardModelId: f.compareRewardModelId } : {};
        return done({ kind, payload: { rewardModelId: f.rewardModelId, pairsSnapshotId: f.snapshotId, ...compare, heldOutOnly, config: {} } });
      }
      if (f.evalTarget === "safety") {
        need("safetyModelId", "Choose a safety model");
        need("snapshotId", "Choose a snapshot");
        return done({ kind, payload: { safetyModelId: f.safetyModelId, safetyLabelsSnapshotId: f.snapshotId, heldOutOnly, config: {} } });
      }
      need("policyModelId", "Choose a policy");
      need("evaluationSetId", "Choose an evaluation set");
      const reward = f.rewardModelId ? { rewardModelId: f.rewardModelId } : {};
      return done({ kind, payload: { policyModelId: f.policyModelId, evaluationSetId: f.evaluationSetId, ...reward, ...opt("safetyModelId"), config: {} } });
    }
    case "acquire": {
      need("projectId", "Choose the project whose tasks are scored");
      const ensemble = ensembleIds(f.ensemble);
      if (ensemble.length === 1) errors.ensemble = "Choose at least 2 reward models (their disagreement is what is measured), or none for the project's most recent";
      const weight = Number(f.borderlineWeight);
      if (f.borderlineWeight.trim() === "" || !Number.isFinite(weight) || weight < 0) errors.borderlineWeight = "Borderline weight must be a number ≥ 0";
      const batch = int("acquireBatchSize", "Batch size", 1, 65_536);
      const maxLength = int("acquireMaxLength", "Max length", 8, 1_048_576);
      return done({
        kind,
        payload: {
          projectId: f.projectId,
          ...(ensemble.length > 0 ? { rewardModelIds: ensemble } : {}),
          ...opt("safetyModelId"),
          ...name,
          config: { borderline_weight: weight, batch_size: batch, max_length: maxLength },
        },
      });
    }
  }
}
