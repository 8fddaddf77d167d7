// What an evaluate job is queued with, and its inputs looked up and checked (at enqueue, and on the
// worker before each attempt). The job's contract is in server/jobs/kinds.ts.
import { z } from "zod";
import { AppError } from "../errors";
import type { PrepareDeps } from "../jobs/job-contract";
import { resolveModel, resolveSnapshot, type ModelInput } from "../training/inputs";
import { readsFormats, ZEvaluateOverrides } from "../training/trainer-config";
import { evaluationPromptsJsonl } from "./sets";

const modelId = (field: string) => z.uuid(`${field} must be a model version's id`);
const snapshotId = (field: string) => z.uuid(`${field} must be a snapshot's id`);

export const ZEvaluatePayload = z
  .strictObject({
    rewardModelId: modelId("rewardModelId").optional(),
    /** A pairs or rankings snapshot whose comparisons the reward model scores. */
    pairsSnapshotId: snapshotId("pairsSnapshotId").optional(),
    /** A second reward model scored on the same pairs (e.g. the parent). */
    compareRewardModelId: modelId("compareRewardModelId").optional(),
    safetyModelId: modelId("safetyModelId").optional(),
    /** A rankings or pairs snapshot whose human safety labels the safety model is checked against. */
    safetyLabelsSnapshotId: snapshotId("safetyLabelsSnapshotId").optional(),
    policyModelId: modelId("policyModelId").optional(),
    promptsSnapshotId: snapshotId("promptsSnapshotId").optional(),
    evaluationSetId: z.uuid("evaluationSetId must be an evaluation set's id").optional(),
    /** The policy the KL is measured against. Default: the evaluated policy's parent, when it is a policy. */
    referencePolicyModelId: modelId("referencePolicyModelId").optional(),
    /**
     * Score only the prompts the reward (or safety) model's training run held out, by the split
     * recorded with it. Off scores every pair and label of the snapshot.
     */
    heldOutOnly: z.boolean().default(true),
    config: ZEvaluateOverrides.default({}),
  })
  .refine(
    (p) =>
      (p.rewardModelId !== undefined && p.pairsSnapshotId !== undefined) ||
      (p.safetyModelId !== undefined && p.safetyLabelsSnapshotId !== undefined) ||
      (p.policyModelId !== undefined && (p.promptsSnapshotId !== undefined || p.evaluationSetId !== undefined)),
    {
      message:
        "Evaluate a reward model on a snapshot (rewardModelId + pairsSnapshotId), a safety model against labels (safetyModelId + safetyLabelsSnapshotId) and/or a policy on prompts (policyModelId + evaluationSetId or promptsSnapshotId)",
    },
  )
  .refine((p) => p.pairsSnapshotId === undefined || p.rewardModelId !== undefined, { message: "A pairs snapshot needs a reward model to score it", path: ["rewardModelId"] })
  .refine((p) => p.compareRewardModelId === undefined || p.pairsSnapshotId !== undefined, { message: "A compared reward model needs the pairs to score", path: ["pairsSnapshotId"] })
  .refine((p) => p.safetyLabelsSnapshotId === undefined || p.safetyModelId !== undefined, { message: "Safety labels need a safety model to check", path: ["safetyModelId"] })
  .refine((p) => (p.promptsSnapshotId === undefined && p.evaluationSetId === undefined) || p.policyModelId !== undefined, { message: "Prompts need a policy to sample from", path: ["policyModelId"] })
  .refine((p) => p.promptsSnapshotId === undefined || p.evaluationSetId === undefined, { message: "Choose an evaluation set or a prompts snapshot, not both", path: ["evaluationSetId"] })
  .refine((p) => p.referencePolicyModelId === undefined || p.policyModelId !== undefined, { message: "A reference policy needs the policy to compare", path: ["policyModelId"] })
  .refine((p) => p.safetyModelId === undefined || p.safetyLabelsSnapshotId !== undefined || p.policyModelId !== undefined, {
    message: "A safety model is checked against safety labels (safetyLabelsSnapshotId) or judges a policy's responses (policyModelId)",
    path: ["safetyLabelsSnapshotId"],
  });
export type EvaluatePayload = z.output<typeof ZEvaluatePayload>;

/** The held-out split a reward or safety model's training run recorded in its config, if any. */
function recordedSplit(model: ModelInput | null): { split: string; eval_fraction: number } | null {
  const config = model?.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) return null;
  const { split, eval_fraction: fraction, eval_data: evalData } = config as Record<string, unknown>;
  if (typeof split !== "string" || typeof fraction !== "number" || !(fraction > 0) || evalData) return null;
  return { split, eval_fraction: fraction };
}

/** The parent of a trained policy is what it was trained from (PPO's reference); null when there is none to use. */
async function defaultReference(deps: PrepareDeps, policy: ModelInput): Promise<ModelInput | null> {
  if (!policy.parentId) return null;
  try {
    return await resolveModel(deps, policy.parentId, { kinds: ["policy", "sft"], role: "the reference policy" });
  } catch (err) {
    if (err instanceof AppError) return null;
    throw err;
  }
}

/** What an evaluation reads; the held-out split and the default reference policy are pinned into the payload. */
export async function resolveEvaluation(payload: EvaluatePayload, deps: PrepareDeps) {
  const pairs = payload.pairsSnapshotId === undefined ? null : await resolveSnapshot(deps, payload.pairsSnapshotId, { formats: readsFormats.pairs, role: "the pairs to score" });
  const labels =
    payload.safetyLabelsSnapshotId === undefined ? null : await resolveSnapshot(deps, payload.safetyLabelsSnapshotId, { formats: readsFormats.safetyLabels, role: "the safety labels" });
  const prompts = payload.promptsSnapshotId === undefined ? null : await resolveSnapshot(deps, payload.promptsSnapshotId, { formats: readsFormats.prompts, role: "the prompts to sample" });
  const set = payload.evaluationSetId === undefined ? null : await evaluationPromptsJsonl(deps.db, payload.evaluationSetId);
  if (set && set.count === 0) throw new AppError("BAD_REQUEST", `Evaluation set ${payload.evaluationSetId} has no prompts yet`);
  const reward = payload.rewardModelId === undefined ? null : await resolveModel(deps, payload.rewardModelId, { kinds: ["reward"], role: "the reward model to evaluate" });
  const compare = payload.compareRewardModelId === undefined ? null : await resolveModel(deps, payload.compareRewardModelId, { kinds: ["reward"], role: "the compared reward model" });
  const policy = payload.policyModelId === undefined ? null : await resolveModel(deps, payload.policyModelId, { kinds: ["policy", "sft"], role: "the policy to evaluate" });
  const safety = payload.safetyModelId === undefined ? null : await resolveModel(deps, payload.safetyModelId, { kinds: ["safety"], role: "the safety model" });
  let reference: ModelInput | null = null;
  if (payload.referencePolicyModelId !== undefined) {
    reference = await resolveModel(deps, payload.referencePolicyModelId, { kinds: ["policy", "sft"], role: "the reference policy" });
  } else if (policy) {
    reference = await defaultReference(deps, policy);
  }

  // The split is pinned into the config the first time (at enqueue), so the job records what it scored.
  let config = payload.config;
  if (payload.heldOutOnly && config.split === undefined) {
    const fromReward = pairs ? recordedSplit(reward) : null;
    const fromSafety = labels ? recordedSplit(safety) : null;
    if (fromReward && fromSafety && (fromReward.split !== fromSafety.split || fromReward.eval_fraction !== fromSafety.eval_fraction)) {
      throw new AppError(
        "BAD_REQUEST",
        `The reward model held out split ${fromReward.split} (${fromReward.eval_fraction}) and the safety model split ${fromSafety.split} (${fromSafety.eval_fraction}): evaluate them in separate jobs, or set heldOutOnly to false`,
      );
    }
    const split = fromReward ?? fromSafety;
    if (split) config = { ...config, ...split };
  }
  const pinned: EvaluatePayload = { ...payload, config, ...(reference && payload.referencePolicyModelId === undefined ? { referencePolicyModelId: reference.id } : {}) };
  return { payload: pinned, inputs: { pairs, labels, prompts, set, reward, compare, policy, safety, reference } };
}
