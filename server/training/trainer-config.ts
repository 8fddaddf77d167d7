// The config file the trainer reads: a job's overrides under the inputs it pins. Pure.
// Inputs (data, models, output_dir, format) come from the job's pinned ids, never from overrides.
// What a job may override, with every option's type and range, is generated from the trainer's
// Config classes (trainer-options.generated.ts, `make generated`); K (num_samples) of generate is
// the project's responses per task, so it is pinned too.
import type { AcquireOverrides, EvaluateOverrides, GenerateOverrides, SftOverrides } from "./trainer-options.generated";

export {
  commandKeys,
  ZAcquireOverrides,
  ZDpoOverrides,
  ZEvaluateOverrides,
  ZForecastOverrides,
  ZKtoOverrides,
  ZGenerateOverrides,
  ZGrpoOverrides,
  ZPpoOverrides,
  ZRewardOverrides,
  ZRlooOverrides,
  ZSafetyOverrides,
  ZSftOverrides,
  ZSplitName,
  type AcquireOverrides,
  type DpoOverrides,
  type EvaluateOverrides,
  type KtoOverrides,
  type GenerateOverrides,
  type PpoOverrides,
  type RewardOverrides,
  type SafetyOverrides,
  type SftOverrides,
} from "./trainer-options.generated";

export type TrainerConfig = Record<string, unknown> & { output_dir: string };

/**
 * The commands that train on one snapshot from one model (reward, safety, dpo, kto): the snapshot
 * (and its layout) and the model, over the overrides.
 */
export function snapshotModelConfig(inputs: { snapshotFile: string; snapshotFormat: string; modelDir: string; outputDir: string }, overrides: object): TrainerConfig {
  return { ...overrides, data: inputs.snapshotFile, format: inputs.snapshotFormat, model: inputs.modelDir, output_dir: inputs.outputDir };
}

export function sftConfig(inputs: { snapshotFile: string; modelDir: string; outputDir: string }, overrides: SftOverrides): TrainerConfig {
  return { ...overrides, data: inputs.snapshotFile, model: inputs.modelDir, output_dir: inputs.outputDir };
}

/** ppo, grpo and rloo: the policy, the prompts and the models that judge its samples. */
export function ppoConfig(
  inputs: { policyDir: string; rewardModelDir: string | null; safetyModelDir: string | null; promptsFile: string; outputDir: string },
  overrides: object,
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

/** acquire: the pool of unlabelled tasks the worker wrote, scored by an ensemble of reward models. */
export function acquireConfig(inputs: { poolFile: string; rewardModelDirs: string[]; safetyModelDir: string | null; outputDir: string }, overrides: AcquireOverrides): TrainerConfig {
  return { ...overrides, pool: inputs.poolFile, reward_models: inputs.rewardModelDirs, safety_model: inputs.safetyModelDir, output_dir: inputs.outputDir };
}

/** The snapshot formats each command reads. */
export const readsFormats = {
  reward: ["rankings", "pairs"],
  safety: ["rankings", "pairs"],
  sft: ["sft"],
  /** Rankings records carry their pairs; pairs records are pairs. */
  dpo: ["rankings", "pairs"],
  /** Labelled responses: kto records, or the rankings and pairs mapped to good and bad (trainer/unpaired.py). */
  kto: ["kto", "rankings", "pairs"],
  /** The trainer reads a rankings or pairs record's prompt (and policy label) as a prompt. */
  prompts: ["rankings", "pairs"],
  /** Reward-model evaluation scores every non-tied pair of either layout. */
  pairs: ["rankings", "pairs"],
  /** The safety classifier is checked against the labels of either layout. */
  safetyLabels: ["rankings", "pairs"],
} as const;

/** The serve command: the model, where it listens (any free port: the trainer reports the one it got) and its token cap. */
export function serveConfig(inputs: { modelDir: string; host: string; outputDir: string; maxTokens?: number }): TrainerConfig {
  return { model: inputs.modelDir, host: inputs.host, port: 0, output_dir: inputs.outputDir, ...(inputs.maxTokens === undefined ? {} : { max_new_tokens: inputs.maxTokens }) };
}
