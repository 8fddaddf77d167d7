// What a job may override in the trainer's config, and the config file the trainer reads. Pure.
// Inputs (data, models, output_dir, format) come from the job's pinned ids, never from overrides;
// the option names and ranges follow the trainer's Config classes (workers/trainer/trainer/commands/).
import { z } from "zod";

const int = (min: number, max = 1_000_000_000) => z.int().min(min).max(max);

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

/** The snapshot formats each command reads. */
export const readsFormats = {
  reward: ["rankings", "pairs"],
} as const;
