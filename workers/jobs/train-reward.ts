import { z } from "zod";
import { withHeldOutSplit } from "../../server/evaluation/held-out-split";
import { minilmEncoder } from "../../server/models/builtin-models";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { readsFormats, rewardConfig, ZRewardOverrides } from "../training/trainer-config";
import { defineTrainerJob } from "../training/trainer-job";

/** A Bradley–Terry reward model trained on a rankings or pairs snapshot. */
export const trainRewardJob = defineTrainerJob({
  name: "train_reward",
  command: "reward",
  payload: z.strictObject({
    /** Required; `runs.start` fills it when it creates the snapshot from filters (`newSnapshot`). */
    snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
    /** The backbone: a base encoder or an earlier reward model. Default: the built-in MiniLM encoder (pinned at enqueue). */
    baseModelId: z.uuid("baseModelId must be a model version's id").optional(),
    name: z.string().trim().min(1).max(200).optional(),
    config: ZRewardOverrides.default({}),
  }),
  resolve: async (payload, deps) => {
    const snapshot = await resolveSnapshot(deps, payload.snapshotId, { formats: readsFormats.reward, role: "the reward model's training data" });
    const base = await resolveModel(deps, payload.baseModelId, { kinds: ["base", "reward"], role: "the reward model's backbone", default: minilmEncoder });
    // The split is pinned at enqueue; on the worker the payload already names it.
    const config = await withHeldOutSplit(deps.db, snapshot.projectId, payload.config);
    return { payload: { ...payload, baseModelId: base.id, config }, inputs: { snapshot, base } };
  },
  config: ({ payload, inputs, outputDir }) => rewardConfig({ snapshotFile: inputs.snapshot.file, snapshotFormat: inputs.snapshot.format, modelDir: inputs.base.dir, outputDir }, payload.config),
  model: (run) => ({ kind: "reward", parentId: run.inputs.base.id, snapshot: run.inputs.snapshot }),
});
