import { z } from "zod";
import { smollmPolicy } from "../../server/models/builtin-models";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { readsFormats, sftConfig, ZSftOverrides } from "../training/trainer-config";
import { defineTrainerJob } from "../training/trainer-job";

/** Supervised fine-tuning of a policy on an sft snapshot of demonstrations. */
export const trainSftJob = defineTrainerJob({
  name: "train_sft",
  command: "sft",
  payload: z.strictObject({
    /** Required; `runs.start` fills it when it creates the snapshot from filters (`newSnapshot`). */
    snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
    /** The policy to fine-tune. Default: the built-in SmolLM2 policy (pinned at enqueue). */
    baseModelId: z.uuid("baseModelId must be a model version's id").optional(),
    name: z.string().trim().min(1).max(200).optional(),
    config: ZSftOverrides.default({}),
  }),
  resolve: async (payload, deps) => {
    const snapshot = await resolveSnapshot(deps, payload.snapshotId, { formats: readsFormats.sft, role: "the demonstrations" });
    const base = await resolveModel(deps, payload.baseModelId, { kinds: ["policy", "sft"], role: "the policy to fine-tune", default: smollmPolicy });
    return { payload: { ...payload, baseModelId: base.id }, inputs: { snapshot, base } };
  },
  config: ({ payload, inputs, outputDir }) => sftConfig({ snapshotFile: inputs.snapshot.file, modelDir: inputs.base.dir, outputDir }, payload.config),
  model: (run) => ({ kind: "sft", parentId: run.inputs.base.id, snapshot: run.inputs.snapshot }),
});
