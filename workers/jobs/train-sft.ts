import { z } from "zod";
import type { Prisma } from "../../server/generated/prisma/client";
import { smollmPolicy } from "../../server/models/builtin-models";
import { registerModelVersion } from "../../server/models/service";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { readsFormats, sftConfig, ZSftOverrides } from "../training/trainer-config";
import { asJson, defineTrainerJob, finalModelDir } from "../training/trainer-job";

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
  register: async (run, ctx) => {
    const model = await finalModelDir(run);
    const version = await registerModelVersion(ctx.db, {
      kind: "sft",
      name: run.payload.name ?? `sft-${ctx.jobId.slice(0, 8)}`,
      path: model.rel,
      jobId: ctx.jobId,
      parentId: run.inputs.base.id,
      snapshotId: run.inputs.snapshot.id,
      projectId: run.inputs.snapshot.projectId,
      eval: asJson({ ...run.report.lastEval, summary: run.summary }),
      config: run.config as Prisma.InputJsonValue,
    });
    return { modelVersionId: version.id, summary: run.summary };
  },
});
