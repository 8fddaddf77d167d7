import { jobKinds } from "../../server/jobs/kinds";
import { ppoConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";

/** Trains the policy; its checkpoints and final model become policy versions that name the reward and safety models. */
export const ppoHandler = trainerJobHandler(jobKinds.ppo, {
  command: "ppo",
  config: ({ payload, inputs, outputDir }) =>
    ppoConfig(
      { policyDir: inputs.policy.dir, rewardModelDir: inputs.reward.dir, safetyModelDir: inputs.safety?.dir ?? null, promptsFile: inputs.prompts.file, outputDir },
      payload.config,
    ),
  model: (run) => ({
    kind: "policy",
    prefix: "ppo",
    parentId: run.inputs.policy.id,
    rewardModelId: run.inputs.reward.id,
    safetyModelId: run.inputs.safety?.id ?? null,
    snapshot: run.inputs.prompts,
  }),
});
