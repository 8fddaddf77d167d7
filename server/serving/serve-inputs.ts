// The `serve` job's payload and inputs: a model version kept loaded by a worker behind an
// OpenAI-compatible server, until the job is cancelled.
import { z } from "zod";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { PrepareDeps } from "../jobs/job-contract";
import { resolveModel, type ModelInput } from "../training/inputs";

export const servableKinds = ["policy", "sft"] as const;

export const ZServePayload = z.strictObject({
  modelVersionId: z.uuid("modelVersionId must be a model version's id"),
  /** The most tokens one answer may have (the server refuses more). Default: the trainer's (512). */
  maxTokens: z.int().min(1).max(32_768).optional(),
});
export type TServePayload = z.output<typeof ZServePayload>;

/** The serve jobs of a model version that hold or wait for a server. */
export function activeServeJobs(db: Db, modelVersionId: string) {
  return db.job.findMany({
    where: { kind: "serve", state: { in: ["queued", "running"] }, payload: { path: ["modelVersionId"], equals: modelVersionId } },
    select: { id: true, state: true },
  });
}

export async function resolveServe(payload: TServePayload, deps: PrepareDeps): Promise<{ payload: TServePayload; inputs: { model: ModelInput } }> {
  const model = await resolveModel(deps, payload.modelVersionId, { kinds: servableKinds, role: "the model to serve" });
  // On the worker the job itself is the active one; only a new job is refused.
  if (deps.where === "enqueue") {
    const [active] = await activeServeJobs(deps.db, model.id);
    if (active) throw new AppError("CONFLICT", `Model ${model.name} is already served (job ${active.id}, ${active.state}); cancel that job first`);
  }
  return { payload, inputs: { model } };
}
