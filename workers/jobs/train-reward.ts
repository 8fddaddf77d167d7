import { z } from "zod";
import type { Prisma } from "../../server/generated/prisma/client";
import { minilmEncoder } from "../../server/models/builtin-models";
import { registerModelVersion } from "../../server/models/service";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { readsFormats, rewardConfig, ZRewardOverrides } from "../training/trainer-config";
import { defineTrainerJob, finalModelDir } from "../training/trainer-job";

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
    return { payload: { ...payload, baseModelId: base.id }, inputs: { snapshot, base } };
  },
  config: ({ payload, inputs, outputDir }) => rewardConfig({ snapshotFile: inputs.snapshot.file, snapshotFormat: inputs.snapshot.format, modelDir: inputs.base.dir, outputDir }, payload.config),
  register: async (run, ctx) => {
    const model = await finalModelDir(run);
    const version = await registerModelVersion(ctx.db, {
      kind: "reward",
      name: run.payload.name ?? `reward-${ctx.jobId.slice(0, 8)}`,
      path: model.rel,
      jobId: ctx.jobId,
      parentId: run.inputs.base.id,
      snapshotId: run.inputs.snapshot.id,
      projectId: run.inputs.snapshot.projectId,
      eval: JSON.parse(JSON.stringify({ ...run.report.lastEval, summary: run.summary })) as Prisma.InputJsonValue,
      config: run.config as Prisma.InputJsonValue,
    });
    return { modelVersionId: version.id, summary: run.summary };
  },
});
