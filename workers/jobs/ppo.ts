import { jobKinds } from "../../server/jobs/kinds";
import { ppoConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";

/**
 * ppo, grpo and rloo train the policy; its checkpoints and final model become policy versions that
 * name the reward and safety models they learned from.
 */
function policyRlHandler(kind: "ppo" | "grpo" | "rloo") {
  // The three contracts differ only in their config's schema (policyRlContract).
  const contract = jobKinds[kind] as (typeof jobKinds)["grpo"];
  return trainerJobHandler(contract, {
    command: kind,
    config: ({ payload, inputs, outputDir }) =>
      ppoConfig(
        { policyDir: inputs.policy.dir, rewardModelDir: inputs.reward?.dir ?? null, safetyModelDir: inputs.safety?.dir ?? null, promptsFile: inputs.prompts.file, outputDir },
        payload.config,
      ),
    model: (run) => ({
      kind: "policy",
      prefix: kind,
      parentId: run.inputs.policy.id,
      rewardModelId: run.inputs.reward?.id,
      safetyModelId: run.inputs.safety?.id ?? null,
      snapshot: run.inputs.prompts,
    }),
  });
}

export const ppoHandler = policyRlHandler("ppo");
export const grpoHandler = policyRlHandler("grpo");
export const rlooHandler = policyRlHandler("rloo");
