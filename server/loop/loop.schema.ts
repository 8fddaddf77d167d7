import { z } from "zod";

/** The steps of the loop the console can start, in order. Labelling is done by annotators. */
export const loopSteps = ["reward", "ppo", "promote", "generate"] as const;
export type LoopStep = (typeof loopSteps)[number];

/**
 * quick: sized for a CPU (a few PPO steps with LoRA, short responses), minutes per step;
 * full: the trainer's own defaults, for GPU workers.
 */
export const loopPresets = ["quick", "full"] as const;
export type LoopPreset = (typeof loopPresets)[number];

export const ZLoopStatusInput = z.object({ projectId: z.uuid("projectId must be a UUID") });

export const ZStartLoopStepInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
  step: z.enum(loopSteps, { error: `step must be one of ${loopSteps.join(", ")}` }),
  preset: z.enum(loopPresets, { error: `preset must be one of ${loopPresets.join(", ")}` }).default("quick"),
});
export type TStartLoopStepInput = z.infer<typeof ZStartLoopStepInput>;

/** The reward model needs some ranked prompts before it can learn anything. */
export const minLabelledTasks = 8;
