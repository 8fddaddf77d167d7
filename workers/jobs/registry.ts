import type { JobDefinition } from "./job-definition";
import { pingJob } from "./ping";
import { evaluateJob } from "./evaluate";
import { generateJob } from "./generate";
import { ppoJob } from "./ppo";
import { trainRewardJob } from "./train-reward";
import { trainSafetyJob } from "./train-safety";
import { trainSftJob } from "./train-sft";

/** Every job kind the platform knows, by name. */
export const jobRegistry = {
  ping: pingJob,
  train_reward: trainRewardJob,
  train_safety: trainSafetyJob,
  train_sft: trainSftJob,
  ppo: ppoJob,
  generate: generateJob,
  evaluate: evaluateJob,
} satisfies Record<string, JobDefinition>;

export type JobKind = keyof typeof jobRegistry;

export const jobKinds = Object.keys(jobRegistry) as JobKind[];

export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(jobRegistry, kind);
}
