import type { JobDefinition } from "./job-definition";
import { pingJob } from "./ping";
import { trainRewardJob } from "./train-reward";

/** Every job kind the platform knows, by name. */
export const jobRegistry = {
  ping: pingJob,
  train_reward: trainRewardJob,
} satisfies Record<string, JobDefinition>;

export type JobKind = keyof typeof jobRegistry;

export const jobKinds = Object.keys(jobRegistry) as JobKind[];

export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(jobRegistry, kind);
}
