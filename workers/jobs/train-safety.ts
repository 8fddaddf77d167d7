import { z } from "zod";
import { withHeldOutSplit } from "../../server/evaluation/held-out-split";
import { minilmEncoder } from "../../server/models/builtin-models";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { readsFormats, safetyConfig, ZSafetyOverrides } from "../training/trainer-config";
import { defineTrainerJob } from "../training/trainer-job";

/** The safety model (prompt-policy and rubric classifiers, optional cost head) from the annotators' safety labels. */
export const trainSafetyJob = defineTrainerJob({
  name: "train_safety",
  command: "safety",
  payload: z.strictObject({
    /** Required; `runs.start` fills it when it creates the snapshot from filters (`newSnapshot`). */
    snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
    /** The backbone: a base encoder or an earlier safety model. Default: the built-in MiniLM encoder (pinned at enqueue). */
    baseModelId: z.uuid("baseModelId must be a model version's id").optional(),
    name: z.string().trim().min(1).max(200).optional(),
    config: ZSafetyOverrides.default({}),
    /** The version of the project's reward table pinned into `config.reward_table` when the run was queued. */
    rewardTableVersion: z.int().min(1).optional(),
  }),
  resolve: async (payload, deps) => {
    const snapshot = await resolveSnapshot(deps, payload.snapshotId, { formats: readsFormats.safety, role: "the safety model's training data" });
    const base = await resolveModel(deps, payload.baseModelId, { kinds: ["base", "safety"], role: "the safety model's backbone", default: minilmEncoder });
    // The split is pinned at enqueue; on the worker the payload already names it.
    let config = await withHeldOutSplit(deps.db, snapshot.projectId, payload.config);
    // The project's reward table (and its version) unless the run names a table: the model carries
    // the table it was trained with into every PPO run that uses it.
    let rewardTableVersion = payload.rewardTableVersion;
    if (config.reward_table === undefined) {
      const project = await deps.db.project.findUniqueOrThrow({ where: { id: snapshot.projectId }, select: { rewardTable: true, rewardTableVersion: true } });
      config = { ...config, reward_table: project.rewardTable as Record<string, Record<string, number>> };
      rewardTableVersion = project.rewardTableVersion;
    }
    return { payload: { ...payload, baseModelId: base.id, config, rewardTableVersion }, inputs: { snapshot, base } };
  },
  config: ({ payload, inputs, outputDir }) => safetyConfig({ snapshotFile: inputs.snapshot.file, snapshotFormat: inputs.snapshot.format, modelDir: inputs.base.dir, outputDir }, payload.config),
  model: (run) => ({ kind: "safety", parentId: run.inputs.base.id, snapshot: run.inputs.snapshot }),
});
