// The contract of a job kind that runs one trainer command: its payload, and how its inputs are
// looked up. The server resolves them to refuse a run that cannot start; the worker's handler
// (workers/training/trainer-job.ts) resolves them again before each attempt and runs the trainer.
import type { z } from "zod";
import type { JobContract, PrepareDeps } from "../jobs/job-contract";

export type TrainerJobContract<TSchema extends z.ZodType, TInputs> = JobContract<TSchema> & {
  /** Looks up and checks the inputs; returns them with the payload's defaults pinned. */
  resolve: (payload: z.output<TSchema>, deps: PrepareDeps) => Promise<{ payload: z.output<TSchema>; inputs: TInputs }>;
};

/** The longest a queue may hold a training job before taking it back (pg-boss allows under 24 h). */
const trainingExpirySeconds = 23 * 60 * 60;

export function defineTrainerJobContract<TSchema extends z.ZodType, TInputs>(spec: {
  name: string;
  payload: TSchema;
  maxAttempts?: number;
  resolve: TrainerJobContract<TSchema, TInputs>["resolve"];
}): TrainerJobContract<TSchema, TInputs> {
  return {
    name: spec.name,
    payload: spec.payload,
    maxAttempts: spec.maxAttempts ?? 3,
    expireInSeconds: trainingExpirySeconds,
    prepare: async (payload, deps) => (await spec.resolve(payload, deps)).payload,
    resolve: spec.resolve,
  };
}
