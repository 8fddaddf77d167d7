// Every job kind the platform knows, by name: the contract `enqueue` checks a job against (payload
// schema, `prepare`, attempts, expiry). Each kind's handler is in workers/jobs/registry.ts.
import { z } from "zod";
import { resolveAcquisition, ZAcquirePayload } from "../acquisition/acquire-inputs";
import { AppError } from "../errors";
import { resolveEvaluation, ZEvaluatePayload } from "../evaluation/evaluate-inputs";
import { withHeldOutSplit } from "../evaluation/held-out-split";
import type { ModelKind } from "../generated/prisma/client";
import { maxContentChars, ZMessages } from "../import/conversation";
import { minilmEncoder, smollmPolicy, type BuiltinModel } from "../models/builtin-models";
import { resolveServe, ZServePayload } from "../serving/serve-inputs";
import { resolveModel, resolveSnapshot, type SnapshotInput } from "../training/inputs";
import { defineTrainerJobContract } from "../training/trainer-contract";
import { readsFormats, ZDpoOverrides, ZForecastOverrides, ZGenerateOverrides, ZGrpoOverrides, ZKtoOverrides, ZRlooOverrides, ZPpoOverrides, ZRewardOverrides, ZSafetyOverrides, ZSftOverrides } from "../training/trainer-config";
import { defineJobContract, type JobContract, type PrepareDeps } from "./job-contract";

/** The payload of a kind that trains a model on a snapshot, starting from a base model. */
function trainModelPayload<TConfig extends z.ZodType>(config: TConfig) {
  return z.strictObject({
    /** Required; `runs.start` fills it when it creates the snapshot from filters (`newSnapshot`). */
    snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
    /** What training starts from (the kind's `base`). Default: a built-in model (pinned at enqueue). */
    baseModelId: z.uuid("baseModelId must be a model version's id").optional(),
    name: z.string().trim().min(1).max(200).optional(),
    config,
  });
}

/**
 * train_reward, train_safety and train_sft: a model trained on a snapshot, from a base model.
 * `pin` fixes more of the payload once the snapshot is known.
 */
function trainModelContract<TSchema extends z.ZodType<{ snapshotId?: string; baseModelId?: string }>>(spec: {
  name: string;
  payload: TSchema;
  data: { formats: readonly string[]; role: string };
  base: { kinds: readonly ModelKind[]; role: string; default: BuiltinModel };
  pin?: (payload: z.output<TSchema>, snapshot: SnapshotInput, deps: PrepareDeps) => Promise<z.output<TSchema>>;
}) {
  return defineTrainerJobContract({
    name: spec.name,
    payload: spec.payload,
    resolve: async (payload, deps) => {
      const snapshot = await resolveSnapshot(deps, payload.snapshotId, spec.data);
      const base = await resolveModel(deps, payload.baseModelId, spec.base);
      const pinned = { ...payload, baseModelId: base.id };
      return { payload: spec.pin ? await spec.pin(pinned, snapshot, deps) : pinned, inputs: { snapshot, base } };
    },
  });
}

/** The split is pinned at enqueue; on the worker the payload already names it. */
async function pinHeldOutSplit<T extends { config: { split?: string | null; eval_fraction?: number } }>(payload: T, snapshot: SnapshotInput, deps: PrepareDeps): Promise<T> {
  return { ...payload, config: await withHeldOutSplit(deps.db, snapshot.projectId, payload.config) };
}

const rewardModelId = z.uuid("rewardModelId must be a model version's id");

/**
 * ppo, grpo and rloo: a policy trained online on a snapshot's prompts against the reward model and,
 * optionally, the safety model (grpo and rloo may also learn from the safety model or the refusal
 * rule alone: their `rewardModelId` is optional).
 */
function policyRlContract<TConfig extends z.ZodType, TReward extends z.ZodType<string | undefined>>(name: string, config: TConfig, rewardModelId: TReward) {
  return defineTrainerJobContract({
    name,
    payload: z.strictObject({
      /** The policy to train (and the frozen reference). Default: the built-in SmolLM2 policy (pinned at enqueue). */
      policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
      rewardModelId,
      safetyModelId: z.uuid("safetyModelId must be a model version's id").optional(),
      /** A rankings or pairs snapshot whose prompts are sampled. Required; `runs.start` fills it from `newSnapshot`. */
      promptsSnapshotId: z.uuid("promptsSnapshotId must be a snapshot's id").optional(),
      name: z.string().trim().min(1).max(200).optional(),
      config,
    }),
    resolve: async (payload, deps) => {
      const prompts = await resolveSnapshot(deps, payload.promptsSnapshotId, { formats: readsFormats.prompts, role: `the ${name} prompts` });
      const policy = await resolveModel(deps, payload.policyModelId, { kinds: ["policy", "sft"], role: "the policy to train", default: smollmPolicy });
      // Generic over the field's schema, TypeScript cannot see the key; its value is a string or undefined.
      const rewardId = (payload as { rewardModelId?: string }).rewardModelId;
      const reward = rewardId === undefined ? null : await resolveModel(deps, rewardId, { kinds: ["reward"], role: "the reward model" });
      const safety = payload.safetyModelId === undefined ? null : await resolveModel(deps, payload.safetyModelId, { kinds: ["safety"], role: "the safety model" });
      return { payload: { ...payload, policyModelId: policy.id }, inputs: { prompts, policy, reward, safety } };
    },
  });
}

/** A conversation ending with the user's turn, with the answer it already got (ranked beside fresh samples). */
const ZAnsweredConversation = z.strictObject({
  messages: ZMessages.refine((m) => m.at(-1)?.role === "user", "a conversation to answer must end with the user's turn"),
  answer: z.string().min(1, "the given answer is empty").max(maxContentChars),
  /** Who gave the answer (a model version's id or a deployment's model name). */
  answerModel: z.string().min(1).max(200),
  meta: z.record(z.string(), z.unknown()).default({}),
});

export const jobKinds = {
  /** A round trip through the queue and a worker, used by health checks and tests. */
  ping: defineJobContract({
    name: "ping",
    payload: z.object({
      message: z.string().max(200).default("ping"),
      /** Hold the worker this long before answering: a stand-in for a long job in tests of what a running job survives. */
      seconds: z.number().min(0).max(600).default(0),
    }),
    expireInSeconds: 60,
    maxAttempts: 1,
  }),

  /** A Bradley–Terry reward model trained on a rankings or pairs snapshot. */
  train_reward: trainModelContract({
    name: "train_reward",
    payload: trainModelPayload(ZRewardOverrides.default({})),
    data: { formats: readsFormats.reward, role: "the reward model's training data" },
    base: { kinds: ["base", "reward"], role: "the reward model's backbone", default: minilmEncoder },
    pin: pinHeldOutSplit,
  }),

  /** The safety model (prompt-policy and rubric classifiers, optional cost head) from the annotators' safety labels. */
  train_safety: trainModelContract({
    name: "train_safety",
    payload: trainModelPayload(ZSafetyOverrides.default({})).extend({
      /** The version of the project's reward table pinned into `config.reward_table` when the run was queued. */
      rewardTableVersion: z.int().min(1).optional(),
    }),
    data: { formats: readsFormats.safety, role: "the safety model's training data" },
    base: { kinds: ["base", "safety"], role: "the safety model's backbone", default: minilmEncoder },
    pin: async (payload, snapshot, deps) => {
      const split = await pinHeldOutSplit(payload, snapshot, deps);
      // The project's reward table (and its version) unless the run names a table: the model carries
      // the table it was trained with into every PPO run that uses it.
      if (split.config.reward_table !== undefined) return split;
      const project = await deps.db.project.findUniqueOrThrow({ where: { id: snapshot.projectId }, select: { rewardTable: true, rewardTableVersion: true } });
      const rewardTable = project.rewardTable as Record<string, Record<string, number>>;
      return { ...split, config: { ...split.config, reward_table: rewardTable }, rewardTableVersion: project.rewardTableVersion };
    },
  }),

  /** Supervised fine-tuning of a policy on an sft snapshot of demonstrations. */
  train_sft: trainModelContract({
    name: "train_sft",
    payload: trainModelPayload(ZSftOverrides.default({})),
    data: { formats: readsFormats.sft, role: "the demonstrations" },
    base: { kinds: ["policy", "sft"], role: "the policy to fine-tune", default: smollmPolicy },
  }),

  /**
   * DPO of a policy straight from the labels (TRL's DPOTrainer): preference pairs of a rankings or
   * pairs snapshot, the reference being the starting policy.
   */
  dpo: trainModelContract({
    name: "dpo",
    payload: trainModelPayload(ZDpoOverrides.default({})),
    data: { formats: readsFormats.dpo, role: "the preference pairs" },
    base: { kinds: ["policy", "sft"], role: "the policy to train", default: smollmPolicy },
    pin: pinHeldOutSplit,
  }),

  /**
   * KTO of a policy from responses labelled good or bad (TRL's KTOTrainer): kto records (imported
   * thumbs up/down), or rankings and pairs mapped to good and bad.
   */
  kto: trainModelContract({
    name: "kto",
    payload: trainModelPayload(ZKtoOverrides.default({})),
    data: { formats: readsFormats.kto, role: "the labelled responses" },
    base: { kinds: ["policy", "sft"], role: "the policy to train", default: smollmPolicy },
    pin: pinHeldOutSplit,
  }),

  /** PPO of a policy against a reward model (and optionally a safety model) over a snapshot's prompts. */
  ppo: policyRlContract("ppo", ZPpoOverrides.default({}), rewardModelId),

  /** GRPO (TRL's GRPOTrainer): G samples a prompt, each judged against its group by our reward functions. */
  grpo: policyRlContract("grpo", ZGrpoOverrides.default({}), rewardModelId.optional()),

  /** RLOO (TRL's RLOOTrainer): REINFORCE with the other samples of a prompt as the baseline. */
  rloo: policyRlContract("rloo", ZRlooOverrides.default({}), rewardModelId.optional()),

  /**
   * The online loop's step: K responses per prompt from a policy (K = the project's responses per
   * task), imported into the project as new ranking tasks.
   */
  generate: defineTrainerJobContract({
    name: "generate",
    payload: z
      .strictObject({
        /** Default: the project's current policy, else the built-in SmolLM2 policy (pinned at enqueue). */
        policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
        /** The project the new tasks go to. */
        projectId: z.uuid("projectId must be a project's id"),
        /** The prompts: a rankings or pairs snapshot's prompts, or a list given here (not both). */
        snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
        prompts: z.array(z.string().trim().min(1, "a prompt is empty").max(maxContentChars)).min(1, "give at least one prompt").max(10_000).optional(),
        /**
         * Conversations that already have an answer to rank (a successful attack's failing answer, a
         * production answer): each task gets that answer and K − 1 fresh samples.
         */
        conversations: z.array(ZAnsweredConversation).min(1, "give at least one conversation").max(10_000).optional(),
        /**
         * Sampled production conversations (by id) that brought fewer than K candidates: each task gets
         * the answer given and K − 1 fresh samples, source production. Their text is read when the job
         * runs, so a conversation deleted meanwhile is left out and its text never sits in a payload.
         */
        feedbackConversationIds: z.array(z.uuid("feedbackConversationIds must be conversations' ids")).min(1).max(10_000).optional(),
        /** The tasks' source; default model_generated. */
        source: z.enum(["model_generated", "red_team", "production"]).default("model_generated"),
        config: ZGenerateOverrides.default({}),
      })
      .refine((p) => [p.snapshotId, p.prompts, p.conversations, p.feedbackConversationIds].filter((x) => x !== undefined).length <= 1, {
        message: "Give the prompts as a snapshotId, a prompts list, conversations or feedback conversations, only one of them",
        path: ["prompts"],
      }),
    resolve: async (payload, deps) => {
      const project = await deps.db.project.findUnique({ where: { id: payload.projectId }, select: { id: true, k: true, archivedAt: true, currentPolicyId: true } });
      if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${payload.projectId} (where the generated tasks go)`);
      if ([payload.snapshotId, payload.prompts, payload.conversations, payload.feedbackConversationIds].every((x) => x === undefined)) {
        throw new AppError("BAD_REQUEST", "Give the prompts: a snapshot, filters to create one, or a list");
      }
      // Checked when queued only: one deleted before the job runs is simply left out then.
      if (payload.feedbackConversationIds && deps.where === "enqueue") {
        const found = await deps.db.feedbackConversation.count({ where: { id: { in: payload.feedbackConversationIds }, projectId: project.id } });
        if (found !== new Set(payload.feedbackConversationIds).size) throw new AppError("NOT_FOUND", "Some of these feedback conversations are not in the project (deleted?)");
      }
      if ((payload.conversations || payload.feedbackConversationIds) && project.k < 2) throw new AppError("BAD_REQUEST", "The project ranks one response per task: there is no room for fresh candidates beside the given answers");
      const snapshot = payload.snapshotId === undefined ? null : await resolveSnapshot(deps, payload.snapshotId, { formats: readsFormats.prompts, role: "the prompts to generate for" });
      const policy = await resolveModel(deps, payload.policyModelId ?? project.currentPolicyId ?? undefined, { kinds: ["policy", "sft"], role: "the policy to sample from", default: smollmPolicy });
      return { payload: { ...payload, policyModelId: policy.id }, inputs: { project: { id: project.id, k: project.k }, snapshot, policy } };
    },
  }),

  /**
   * Measures a reward model against the length rules (and a compared model), a safety model against
   * the annotators, and/or a policy on an evaluation set, each figure with a 95 % interval.
   */
  evaluate: defineTrainerJobContract({ name: "evaluate", maxAttempts: 2, payload: ZEvaluatePayload, resolve: resolveEvaluation }),

  /**
   * What more labels would buy: reward models trained on nested 1/16…all subsets of a snapshot, each
   * measured on the same held-out prompts, and a power law with bootstrap bands fitted through them.
   * The subset models are scratch; the forecast (forecast.json) is the job's result.
   */
  forecast: trainModelContract({
    name: "forecast",
    payload: trainModelPayload(ZForecastOverrides.default({})),
    data: { formats: readsFormats.reward, role: "the forecast's labelled pairs" },
    base: { kinds: ["base", "reward"], role: "the reward models' backbone", default: minilmEncoder },
    pin: async (payload, snapshot, deps) => {
      const pinned = await pinHeldOutSplit(payload, snapshot, deps);
      // A project that holds nothing out leaves the forecast nothing to measure its runs on.
      if (!pinned.config.eval_fraction) {
        throw new AppError("BAD_REQUEST", "A forecast measures every run on held-out prompts: set eval_fraction above 0 (this project holds none out)");
      }
      return pinned;
    },
  }),

  /**
   * Active learning: scores the project's unlabelled tasks by how much an ensemble of reward models
   * disagrees on them; in uncertainty order the scores decide which tasks are labelled first.
   */
  acquire: defineTrainerJobContract({ name: "acquire", payload: ZAcquirePayload, resolve: resolveAcquisition }),

  /**
   * A model version kept loaded behind an OpenAI-compatible server (the Playground's), until
   * cancelled: it never finishes on its own. The queue's expiry (under 24 h in pg-boss) ends only the
   * message's delivery: the job runs on under its heartbeat, and a worker that stops heart-beating
   * has it taken back and started elsewhere (attempts are the restarts it gets).
   */
  serve: defineTrainerJobContract({ name: "serve", maxAttempts: 10, payload: ZServePayload, resolve: resolveServe }),
} satisfies Record<string, JobContract>;

export type JobKind = keyof typeof jobKinds;

export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(jobKinds, kind);
}
