// Starts the next step of a project's loop with the inputs the earlier steps produced, so an admin
// walks label → snapshot → reward model → policy → promote → generate with one button per step.
// The policy step takes one of three routes: PPO or GRPO against the reward model, or DPO straight
// from the labels.
import type PgBoss from "pg-boss";
import { writeAudit } from "../audit/log";
import type { Db } from "../db";
import { AppError } from "../errors";
import { ZExportRequest } from "../export/filter";
import { queueAutoEvaluations } from "../evaluation/queue-evaluations";
import { promoteModelVersion } from "../models/registry";
import { ZStartRunInput } from "../runs/run.schema";
import { startRun } from "../runs/start-run";
import type { StoragePaths } from "../storage";
import type { LoopPreset, TStartLoopStepInput } from "./loop.schema";
import { getLoopStatus, type LoopJob } from "./status";

type Deps = { db: Db; boss: PgBoss; paths?: StoragePaths };

/** Trainer settings per preset; `full` keeps the trainer's defaults. */
const presets: Record<LoopPreset, { reward: object; ppo: object; grpo: object; dpo: object; generate: object }> = {
  quick: {
    reward: { epochs: 4 },
    // Responses are cut at 48 tokens for speed, so most would be penalised for the cut (no EOS)
    // rather than judged by the reward model: that penalty is off here.
    ppo: { steps: 8, batch_size: 4, mini_batch_size: 2, lora_r: 8, max_new_tokens: 48, missing_eos_penalty: null, eval_every: 4, checkpoint_every: 4 },
    // G = 4 samples of 2 prompts a step: as many responses a step as PPO's 8 prompts.
    grpo: { steps: 8, batch_size: 2, num_generations: 4, lora_r: 8, max_new_tokens: 48, eval_every: 4, checkpoint_every: 4 },
    // LoRA learns at a higher rate than full fine-tuning.
    dpo: { epochs: 2, batch_size: 4, lora_r: 8, lr: 5e-5, max_length: 512, checkpoint_every: 10 },
    generate: { max_new_tokens: 128 },
  },
  full: { reward: {}, ppo: {}, grpo: {}, dpo: {}, generate: {} },
};

function refuseWhileActive(job: LoopJob | null, what: string) {
  if (job && (job.state === "queued" || job.state === "running")) throw new AppError("CONFLICT", `${what} is already ${job.state}; wait for it or cancel it on its run page`);
}

export async function startLoopStep(deps: Deps, input: TStartLoopStepInput, actorId: string) {
  const started = await startStep(deps, input, actorId);
  const jobId = "job" in started && started.job ? started.job.id : null;
  const route = input.step === "policy" ? { route: input.route } : {};
  await writeAudit(deps.db, { actorId, action: `loop.${input.step}`, target: `project:${input.projectId}`, projectId: input.projectId, after: { preset: input.preset, ...route, jobId } });
  return started;
}

async function startStep(deps: Deps, { projectId, step, preset, route, overrideReason }: TStartLoopStepInput, actorId: string) {
  const status = await getLoopStatus(deps.db, projectId);
  if (status.project.archivedAt) throw new AppError("BAD_REQUEST", `Project ${status.project.name} is archived`);
  const config = presets[preset];
  const options = { createdById: actorId };
  switch (step) {
    case "reward": {
      refuseWhileActive(status.reward.job, "A reward model run");
      const { labelledTasks, needed } = status.labels;
      if (labelledTasks < needed) throw new AppError("BAD_REQUEST", `Label at least ${needed} tasks before training a reward model (${labelledTasks} so far)`);
      const input = ZStartRunInput.parse({ kind: "train_reward", payload: { config: config.reward }, newSnapshot: { projectId, request: ZExportRequest.parse({ format: "rankings" }) } });
      return { step, job: await startRun(deps, input, options) };
    }
    case "policy": {
      refuseWhileActive(status.policy.job, `A ${status.policy.job?.kind.toUpperCase()} run`);
      const policyModelId = status.project.currentPolicy?.id;
      if (route === "dpo") {
        // The reward model's snapshot when there is one (the same labels), else the labels as they are now.
        const { labelledTasks, needed } = status.labels;
        if (!status.reward.model?.snapshotId && labelledTasks < needed) throw new AppError("BAD_REQUEST", `Label at least ${needed} tasks before training with DPO (${labelledTasks} so far)`);
        const snapshot = status.reward.model?.snapshotId
          ? { payload: { snapshotId: status.reward.model.snapshotId } }
          : { payload: {}, newSnapshot: { projectId, request: ZExportRequest.parse({ format: "rankings" }) } };
        const input = ZStartRunInput.parse({ kind: "dpo", payload: { ...snapshot.payload, baseModelId: policyModelId, config: config.dpo }, newSnapshot: snapshot.newSnapshot });
        return { step, job: await startRun(deps, input, options) };
      }
      const reward = status.reward.model;
      if (!reward?.snapshotId) throw new AppError("BAD_REQUEST", `Train a reward model on this project's labels first (${route.toUpperCase()} learns from it), or take the DPO route`);
      const payload = { rewardModelId: reward.id, policyModelId, promptsSnapshotId: reward.snapshotId, config: config[route] };
      return { step, job: await startRun(deps, ZStartRunInput.parse({ kind: route, payload }), options) };
    }
    case "promote": {
      const policy = status.policy.model;
      if (!policy) throw new AppError("BAD_REQUEST", "Train the policy first: there is no trained policy to promote");
      // The same release gates as a promotion from the model's page.
      const promoted = await promoteModelVersion(deps.db, { modelVersionId: policy.id, projectId, overrideReason }, actorId);
      const evaluationJobIds = await queueAutoEvaluations(deps, { modelVersionId: policy.id, baselineId: promoted.previousPolicyId }, actorId);
      return { step, modelVersionId: policy.id, evaluationJobIds };
    }
    case "generate": {
      refuseWhileActive(status.generate.job, "A generate run");
      const snapshotId = status.policy.model?.snapshotId ?? status.reward.model?.snapshotId;
      if (!snapshotId) throw new AppError("BAD_REQUEST", "Train a reward model first: generation samples the prompts it was trained on");
      // No policy is named: the job samples from the project's current policy.
      const payload = { projectId, snapshotId, config: config.generate };
      return { step, job: await startRun(deps, ZStartRunInput.parse({ kind: "generate", payload }), options) };
    }
  }
}
