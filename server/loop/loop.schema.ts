import { z } from "zod";
import { ZOverrideReason } from "../release/release.schema";

/** The steps of the loop the console can start, in order. Labelling is done by annotators. */
export const loopSteps = ["reward", "policy", "promote", "generate"] as const;
export type LoopStep = (typeof loopSteps)[number];

/**
 * How the policy step trains the policy: PPO or GRPO against the reward model (and the safety
 * model, when the project has one), or DPO straight from the labels, without a reward model.
 */
export const policyRoutes = ["ppo", "grpo", "dpo"] as const;
export type PolicyRoute = (typeof policyRoutes)[number];

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
  /** The policy step's route; the other steps ignore it. */
  route: z.enum(policyRoutes, { error: `route must be one of ${policyRoutes.join(", ")}` }).default("ppo"),
  /** The promote step's override of release gates that did not pass; the other steps ignore it. */
  overrideReason: ZOverrideReason.optional(),
});
export type TStartLoopStepInput = z.infer<typeof ZStartLoopStepInput>;

/** The reward model needs some ranked prompts before it can learn anything. */
export const minLabelledTasks = 8;
