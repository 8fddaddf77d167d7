// What a job may override in the trainer's config, and the config file the trainer reads. Pure.
// Inputs (data, models, output_dir, format) come from the job's pinned ids, never from overrides;
// the option names and ranges follow the trainer's Config classes (workers/trainer/trainer/commands/).
import { z } from "zod";

const int = (min: number, max = 1_000_000_000) => z.int().min(min).max(max);

/** A held-out split's name: the same name holds out the same prompts in every snapshot. */
export const ZSplitName = z.string().regex(/^[A-Za-z0-9][\w.-]{0,99}$/, "split is a name of letters, digits, '.', '_' and '-' (at most 100)");

/** Options every command has. */
const commonOverrides = {
  device: z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "device is auto, cpu, cuda or cuda:N"),
  precision: z.enum(["auto", "fp32", "bf16", "fp64"]),
  seed: int(0, 2 ** 31 - 1),
  keep_checkpoints: int(1, 100),
};

/** Overrides of `python -m trainer reward`; an unknown key is refused before anything is queued. */
export const ZRewardOverrides = z
  .strictObject({
    eval_fraction: z.number().min(0).lt(1),
    split: ZSplitName,
    epochs: int(1, 10_000),
    batch_size: int(1, 65_536),
    lr: z.number().positive().max(1),
    weight_decay: z.number().min(0),
    warmup_steps: int(0),
    max_length: int(8, 1_048_576),
    margin: z.enum(["none", "small", "large"]),
    centring: z.number().min(0),
    eval_every: int(1),
    early_stopping_patience: int(0),
    gradient_checkpointing: z.boolean(),
    tokens_per_forward: int(0),
    grad_clip: z.number().min(0),
    disable_dropout: z.boolean(),
    eval_batch_size: int(1, 65_536),
    ...commonOverrides,
  })
  .partial();
export type RewardOverrides = z.infer<typeof ZRewardOverrides>;

export type TrainerConfig = Record<string, unknown> & { output_dir: string };

export function rewardConfig(
  inputs: { snapshotFile: string; snapshotFormat: string; modelDir: string; outputDir: string },
  overrides: RewardOverrides,
): TrainerConfig {
  return { ...overrides, data: inputs.snapshotFile, format: inputs.snapshotFormat, model: inputs.modelDir, output_dir: inputs.outputDir };
}

const refusalMarkers = z.array(z.string().min(1).max(200)).min(1).max(100);

export const ZSafetyOverrides = z
  .strictObject({
    eval_fraction: z.number().min(0).lt(1),
    split: ZSplitName,
    reward_table: z.record(z.string(), z.record(z.string(), z.number())).nullable(),
    cost_model: z.boolean(),
    cost_weight: z.number().min(0),
    cost_order: z.enum(["table", "harm"]),
    class_weights: z.boolean(),
    epochs: int(1, 10_000),
    batch_size: int(1, 65_536),
    lr: z.number().positive().max(1),
    weight_decay: z.number().min(0),
    warmup_steps: int(0),
    max_length: int(8, 1_048_576),
    eval_every: int(1),
    early_stopping_patience: int(0),
    gradient_checkpointing: z.boolean(),
    grad_clip: z.number().min(0),
    disable_dropout: z.boolean(),
    eval_batch_size: int(1, 65_536),
    ...commonOverrides,
  })
  .partial();
export type SafetyOverrides = z.infer<typeof ZSafetyOverrides>;

export const ZSftOverrides = z
  .strictObject({
    eval_fraction: z.number().min(0).lt(1),
    epochs: int(1, 10_000),
    max_steps: int(0),
    batch_size: int(1, 65_536),
    lr: z.number().positive().max(1),
    weight_decay: z.number().min(0),
    warmup_steps: int(0),
    max_length: int(8, 1_048_576),
    eval_every: int(1),
    checkpoint_every: int(1),
    lora_r: int(0, 4096),
    lora_alpha: z.number().positive().nullable(),
    lora_dropout: z.number().min(0).lt(1),
    gradient_checkpointing: z.boolean(),
    grad_clip: z.number().min(0),
    eval_batch_size: int(1, 65_536),
    ...commonOverrides,
  })
  .partial();
export type SftOverrides = z.infer<typeof ZSftOverrides>;

export const ZPpoOverrides = z
  .strictObject({
    steps: int(1),
    batch_size: int(1, 65_536),
    mini_batch_size: int(1, 65_536),
    ppo_epochs: int(1, 100),
    lr: z.number().positive().max(1),
    max_new_tokens: int(1, 1_048_576),
    max_prompt_length: int(1, 1_048_576),
    temperature: z.number().positive(),
    top_p: z.number().gt(0).max(1),
    gamma: z.number().min(0).max(1),
    lam: z.number().min(0).max(1),
    cliprange: z.number().positive(),
    cliprange_value: z.number().positive(),
    vf_coef: z.number().min(0),
    kl_estimator: z.enum(["k1", "k3"]),
    init_kl_coef: z.number().min(0),
    target_kl: z.number().positive(),
    adaptive_kl: z.boolean(),
    kl_horizon: int(1),
    reward_clip: z.number().positive().nullable(),
    whiten_advantages: z.boolean(),
    missing_eos_penalty: z.number().min(0).nullable(),
    safety_mode: z.enum(["auto", "table", "gated", "lagrangian", "none"]),
    safety_weight: z.number().min(0),
    gate_threshold: z.number().min(0).max(1),
    lagrangian_lr: z.number().min(0),
    cost_limit: z.number(),
    lambda_init: z.number().positive(),
    lambda_max: z.number().positive().nullable(),
    lambda_delay_steps: int(0),
    refusal_markers: refusalMarkers,
    lora_r: int(0, 4096),
    lora_alpha: z.number().positive().nullable(),
    gradient_checkpointing: z.boolean(),
    max_grad_norm: z.number().min(0),
    score_batch_size: int(1, 65_536),
    score_max_length: int(8, 1_048_576),
    eval_every: int(1),
    eval_batch_size: int(1, 65_536),
    checkpoint_every: int(1),
    ...commonOverrides,
  })
  .partial();
export type PpoOverrides = z.infer<typeof ZPpoOverrides>;

/** K (num_samples) is the project's responses per task, so it is pinned, not overridden. */
export const ZGenerateOverrides = z
  .strictObject({
    temperature: z.number().min(0),
    top_p: z.number().gt(0).max(1),
    max_new_tokens: int(1, 1_048_576),
    max_prompt_length: int(1, 1_048_576),
    batch_size: int(1, 65_536),
    ...commonOverrides,
  })
  .partial();
export type GenerateOverrides = z.infer<typeof ZGenerateOverrides>;

export const ZEvaluateOverrides = z
  .strictObject({
    num_samples: int(1, 64),
    temperature: z.number().min(0),
    top_p: z.number().gt(0).max(1),
    max_new_tokens: int(1, 1_048_576),
    max_prompt_length: int(1, 1_048_576),
    batch_size: int(1, 65_536),
    max_length: int(8, 1_048_576),
    refusal_markers: refusalMarkers,
    split: ZSplitName,
    eval_fraction: z.number().gt(0).lt(1),
    ...commonOverrides,
  })
  .partial();
export type EvaluateOverrides = z.infer<typeof ZEvaluateOverrides>;

/**
 * Every field of each command's Python Config is either an override above, an input the job pins
 * (`pinned`), or deliberately not offered (`unexposed`); trainer-config.test.ts checks this
 * against `dataclasses.fields` so the two sides cannot drift.
 */
export const commandKeys = {
  reward: { overrides: ZRewardOverrides, pinned: ["data", "model", "output_dir", "format"], unexposed: ["eval_data"] },
  safety: { overrides: ZSafetyOverrides, pinned: ["data", "model", "output_dir", "format"], unexposed: ["eval_data"] },
  sft: { overrides: ZSftOverrides, pinned: ["data", "model", "output_dir"], unexposed: ["eval_data"] },
  ppo: { overrides: ZPpoOverrides, pinned: ["policy", "reward_model", "prompts", "output_dir", "safety_model"], unexposed: ["eval_prompts"] },
  generate: { overrides: ZGenerateOverrides, pinned: ["policy", "prompts", "output_dir", "num_samples"], unexposed: [] },
  evaluate: {
    overrides: ZEvaluateOverrides,
    pinned: ["output_dir", "reward_model", "pairs", "format", "compare_reward_model", "safety_model", "safety_labels", "policy", "prompts", "reference_policy"],
    unexposed: [],
  },
} as const;

export function safetyConfig(inputs: { snapshotFile: string; snapshotFormat: string; modelDir: string; outputDir: string }, overrides: SafetyOverrides): TrainerConfig {
  return { ...overrides, data: inputs.snapshotFile, format: inputs.snapshotFormat, model: inputs.modelDir, output_dir: inputs.outputDir };
}

export function sftConfig(inputs: { snapshotFile: string; modelDir: string; outputDir: string }, overrides: SftOverrides): TrainerConfig {
  return { ...overrides, data: inputs.snapshotFile, model: inputs.modelDir, output_dir: inputs.outputDir };
}

export function ppoConfig(
  inputs: { policyDir: string; rewardModelDir: string; safetyModelDir: string | null; promptsFile: string; outputDir: string },
  overrides: PpoOverrides,
): TrainerConfig {
  return {
    ...overrides,
    policy: inputs.policyDir,
    reward_model: inputs.rewardModelDir,
    safety_model: inputs.safetyModelDir,
    prompts: inputs.promptsFile,
    output_dir: inputs.outputDir,
  };
}

export function generateConfig(inputs: { policyDir: string; promptsFile: string; numSamples: number; outputDir: string }, overrides: GenerateOverrides): TrainerConfig {
  return { ...overrides, policy: inputs.policyDir, prompts: inputs.promptsFile, num_samples: inputs.numSamples, output_dir: inputs.outputDir };
}

export type EvaluateInputs = {
  rewardModelDir: string | null;
  pairsFile: string | null;
  compareRewardModelDir: string | null;
  safetyModelDir: string | null;
  safetyLabelsFile: string | null;
  policyDir: string | null;
  promptsFile: string | null;
  referencePolicyDir: string | null;
  outputDir: string;
};

export function evaluateConfig(inputs: EvaluateInputs, overrides: EvaluateOverrides): TrainerConfig {
  return {
    ...overrides,
    reward_model: inputs.rewardModelDir,
    pairs: inputs.pairsFile,
    // The pairs and the safety labels may be in different layouts; the trainer tells each file's.
    format: "auto",
    compare_reward_model: inputs.compareRewardModelDir,
    safety_model: inputs.safetyModelDir,
    safety_labels: inputs.safetyLabelsFile,
    policy: inputs.policyDir,
    prompts: inputs.promptsFile,
    reference_policy: inputs.referencePolicyDir,
    output_dir: inputs.outputDir,
  };
}

/** The snapshot formats each command reads. */
export const readsFormats = {
  reward: ["rankings", "pairs"],
  safety: ["rankings", "pairs"],
  sft: ["sft"],
  /** The trainer reads a rankings or pairs record's prompt (and policy label) as a prompt. */
  prompts: ["rankings", "pairs"],
  /** Reward-model evaluation scores every non-tied pair of either layout. */
  pairs: ["rankings", "pairs"],
  /** The safety classifier is checked against the labels of either layout. */
  safetyLabels: ["rankings", "pairs"],
} as const;
