import { z } from "zod";
import { recordModelEvaluation } from "../../server/models/service";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { evaluateConfig, readsFormats, ZEvaluateOverrides } from "../training/trainer-config";
import { asJson, defineTrainerJob } from "../training/trainer-job";

/**
 * Pair accuracy of a reward model on a pairs snapshot, and/or refusal rates (and reward, with a
 * reward model; rubric mix, with a safety model) of a policy on a snapshot's prompts. The results
 * are stored on each evaluated model version and returned as the job's result.
 */
export const evaluateJob = defineTrainerJob({
  name: "evaluate",
  command: "evaluate",
  maxAttempts: 2,
  payload: z
    .strictObject({
      rewardModelId: z.uuid("rewardModelId must be a model version's id").optional(),
      pairsSnapshotId: z.uuid("pairsSnapshotId must be a snapshot's id").optional(),
      policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
      promptsSnapshotId: z.uuid("promptsSnapshotId must be a snapshot's id").optional(),
      safetyModelId: z.uuid("safetyModelId must be a model version's id").optional(),
      config: ZEvaluateOverrides.default({}),
    })
    .refine((p) => (p.rewardModelId !== undefined && p.pairsSnapshotId !== undefined) || (p.policyModelId !== undefined && p.promptsSnapshotId !== undefined), {
      message: "Evaluate a reward model on a pairs snapshot (rewardModelId + pairsSnapshotId) and/or a policy on prompts (policyModelId + promptsSnapshotId)",
    })
    .refine((p) => p.pairsSnapshotId === undefined || p.rewardModelId !== undefined, { message: "A pairs snapshot needs a reward model to score it", path: ["rewardModelId"] })
    .refine((p) => p.promptsSnapshotId === undefined || p.policyModelId !== undefined, { message: "Prompts need a policy to sample from", path: ["policyModelId"] })
    .refine((p) => p.safetyModelId === undefined || p.policyModelId !== undefined, { message: "A safety model judges a policy's responses: choose the policy", path: ["policyModelId"] }),
  resolve: async (payload, deps) => {
    const pairs = payload.pairsSnapshotId === undefined ? null : await resolveSnapshot(deps, payload.pairsSnapshotId, { formats: readsFormats.pairs, role: "the pairs to score" });
    const prompts = payload.promptsSnapshotId === undefined ? null : await resolveSnapshot(deps, payload.promptsSnapshotId, { formats: readsFormats.prompts, role: "the prompts to sample" });
    const reward = payload.rewardModelId === undefined ? null : await resolveModel(deps, payload.rewardModelId, { kinds: ["reward"], role: "the reward model to evaluate" });
    const policy = payload.policyModelId === undefined ? null : await resolveModel(deps, payload.policyModelId, { kinds: ["policy", "sft"], role: "the policy to evaluate" });
    const safety = payload.safetyModelId === undefined ? null : await resolveModel(deps, payload.safetyModelId, { kinds: ["safety"], role: "the safety model" });
    return { payload, inputs: { pairs, prompts, reward, policy, safety } };
  },
  config: ({ payload, inputs, outputDir }) =>
    evaluateConfig(
      {
        rewardModelDir: inputs.reward?.dir ?? null,
        pairsFile: inputs.pairs?.file ?? null,
        policyDir: inputs.policy?.dir ?? null,
        promptsFile: inputs.prompts?.file ?? null,
        safetyModelDir: inputs.safety?.dir ?? null,
        outputDir,
      },
      payload.config,
    ),
  register: async (run, ctx) => {
    const results: Record<string, unknown> = { ...run.report.lastEval };
    delete results.step;
    const { pairs, prompts, reward, policy, safety } = run.inputs;
    const stored = asJson({
      results,
      pairsSnapshotId: pairs?.id ?? null,
      promptsSnapshotId: prompts?.id ?? null,
      rewardModelId: reward?.id ?? null,
      policyModelId: policy?.id ?? null,
      safetyModelId: safety?.id ?? null,
      output: `${run.outputRel}/eval.json`,
    });
    // The reward model's pair accuracy belongs to it; a policy's sampled results (even when scored by the reward model) to the policy.
    const evaluated = [pairs && reward ? reward.id : null, prompts && policy ? policy.id : null].filter((id): id is string => id !== null);
    for (const id of evaluated) await recordModelEvaluation(ctx.db, id, ctx.jobId, stored);
    return { eval: results, evaluatedModelVersionIds: evaluated, output: `${run.outputRel}/eval.json`, summary: run.summary };
  },
});
