import { z } from "zod";
import { smollmPolicy } from "../../server/models/builtin-models";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { ppoConfig, readsFormats, ZPpoOverrides } from "../training/trainer-config";
import { defineTrainerJob } from "../training/trainer-job";

/** PPO of a policy against a reward model (and optionally a safety model) over a snapshot's prompts. */
export const ppoJob = defineTrainerJob({
  name: "ppo",
  command: "ppo",
  payload: z.strictObject({
    /** The policy to train (and the frozen reference). Default: the built-in SmolLM2 policy (pinned at enqueue). */
    policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
    rewardModelId: z.uuid("rewardModelId must be a model version's id"),
    safetyModelId: z.uuid("safetyModelId must be a model version's id").optional(),
    /** A rankings or pairs snapshot whose prompts are sampled. Required; `runs.start` fills it from `newSnapshot`. */
    promptsSnapshotId: z.uuid("promptsSnapshotId must be a snapshot's id").optional(),
    name: z.string().trim().min(1).max(200).optional(),
    config: ZPpoOverrides.default({}),
  }),
  resolve: async (payload, deps) => {
    const prompts = await resolveSnapshot(deps, payload.promptsSnapshotId, { formats: readsFormats.prompts, role: "the PPO prompts" });
    const policy = await resolveModel(deps, payload.policyModelId, { kinds: ["policy", "sft"], role: "the policy to train", default: smollmPolicy });
    const reward = await resolveModel(deps, payload.rewardModelId, { kinds: ["reward"], role: "the reward model" });
    const safety = payload.safetyModelId === undefined ? null : await resolveModel(deps, payload.safetyModelId, { kinds: ["safety"], role: "the safety model" });
    return { payload: { ...payload, policyModelId: policy.id }, inputs: { prompts, policy, reward, safety } };
  },
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
