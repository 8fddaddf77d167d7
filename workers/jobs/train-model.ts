// The handlers of the kinds that train a model on a snapshot from a base model (their contracts
// share one helper in server/jobs/kinds.ts): each checkpoint and the final model become versions.
import type { z } from "zod";
import type { ModelKind } from "../../server/generated/prisma/client";
import { jobKinds } from "../../server/jobs/kinds";
import type { ModelInput, SnapshotInput } from "../../server/training/inputs";
import { sftConfig, snapshotModelConfig, type TrainerConfig } from "../../server/training/trainer-config";
import type { TrainerJobContract } from "../../server/training/trainer-contract";
import { trainerJobHandler, type TrainerCommand } from "../training/trainer-job";

type TrainModelFiles = { snapshotFile: string; snapshotFormat: string; modelDir: string; outputDir: string };

function trainModelHandler<TSchema extends z.ZodType<{ config: unknown }>>(
  contract: TrainerJobContract<TSchema, { snapshot: SnapshotInput; base: ModelInput }>,
  spec: { command: TrainerCommand; model: ModelKind; config: (files: TrainModelFiles, overrides: z.output<TSchema>["config"]) => TrainerConfig },
) {
  return trainerJobHandler(contract, {
    command: spec.command,
    config: ({ payload, inputs, outputDir }) =>
      spec.config({ snapshotFile: inputs.snapshot.file, snapshotFormat: inputs.snapshot.format, modelDir: inputs.base.dir, outputDir }, payload.config),
    model: (run) => ({ kind: spec.model, parentId: run.inputs.base.id, snapshot: run.inputs.snapshot }),
  });
}

export const trainRewardHandler = trainModelHandler(jobKinds.train_reward, { command: "reward", model: "reward", config: snapshotModelConfig });
export const trainSafetyHandler = trainModelHandler(jobKinds.train_safety, { command: "safety", model: "safety", config: snapshotModelConfig });
export const trainSftHandler = trainModelHandler(jobKinds.train_sft, { command: "sft", model: "sft", config: sftConfig });
export const dpoHandler = trainModelHandler(jobKinds.dpo, { command: "dpo", model: "policy", config: snapshotModelConfig });
export const ktoHandler = trainModelHandler(jobKinds.kto, { command: "kto", model: "policy", config: snapshotModelConfig });
