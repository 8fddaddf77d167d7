// The `acquire` job's payload and inputs: checked at enqueue (so a run that cannot start is refused
// before anything is queued) and again on the worker before each attempt.
import { z } from "zod";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { PrepareDeps } from "../jobs/job-contract";
import { resolveModel, type ModelInput } from "../training/inputs";
import { ZAcquireOverrides } from "../training/trainer-config";

/** How many of the project's reward models make the ensemble when the run names none. */
export const defaultEnsembleSize = 3;
/** The trainer's bounds on the ensemble (trainer/commands/acquire.py). */
const minMembers = 2;
const maxMembers = 64;

export const ZAcquirePayload = z.strictObject({
  /** The project whose unlabelled tasks are scored. */
  projectId: z.uuid("projectId must be a project's id"),
  /** The ensemble. Default: the project's most recent final reward models (pinned at enqueue). */
  rewardModelIds: z
    .array(z.uuid("each of rewardModelIds must be a model version's id"))
    .min(minMembers, `Choose at least ${minMembers} reward models: their disagreement is what the run measures`)
    .max(maxMembers, `At most ${maxMembers} reward models`)
    .refine((ids) => new Set(ids).size === ids.length, "rewardModelIds names the same model twice: a model always agrees with itself")
    .optional(),
  /** Adds how borderline a task's most borderline response is to its score (`borderline_weight`). */
  safetyModelId: z.uuid("safetyModelId must be a model version's id").optional(),
  name: z.string().trim().min(1).max(200).optional(),
  config: ZAcquireOverrides.default({}),
});
export type TAcquirePayload = z.output<typeof ZAcquirePayload>;

export type AcquireInputs = {
  project: { id: string; name: string };
  rewardModels: ModelInput[];
  safety: ModelInput | null;
  /** Unlabelled tasks when the inputs were checked. */
  pool: number;
};

/** The project's most recent final reward models: versions a run ended with, trained on its snapshots. */
export async function projectRewardModels(db: Db, projectId: string, take: number) {
  return db.modelVersion.findMany({
    where: { kind: "reward", checkpointStep: null, prunedAt: null, snapshot: { projectId } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: { id: true, name: true, createdAt: true },
  });
}

/** The tasks an acquisition scores: regular, rankable and not yet labelled by anyone. */
export function countUnlabelledTasks(db: Db, projectId: string) {
  return db.task.count({ where: { projectId, isGold: false, rankable: true, annotationCount: 0 } });
}

export async function resolveAcquisition(payload: TAcquirePayload, deps: PrepareDeps): Promise<{ payload: TAcquirePayload; inputs: AcquireInputs }> {
  const { db } = deps;
  const project = await db.project.findUnique({ where: { id: payload.projectId }, select: { id: true, name: true, archivedAt: true } });
  if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${payload.projectId} (whose tasks are scored)`);
  let ids = payload.rewardModelIds;
  if (ids === undefined) {
    const recent = await projectRewardModels(db, project.id, defaultEnsembleSize);
    if (recent.length < minMembers) {
      throw new AppError(
        "BAD_REQUEST",
        `Project "${project.name}" has ${recent.length} trained reward model${recent.length === 1 ? "" : "s"}; an acquisition needs at least ${minMembers}, ` +
          "since it measures where they disagree. Train more reward models on this project's snapshots (another seed, split or snapshot), or choose them",
      );
    }
    ids = recent.map((m) => m.id);
  }
  const rewardModels: ModelInput[] = [];
  for (const [i, id] of ids.entries()) {
    rewardModels.push(await resolveModel(deps, id, { kinds: ["reward"], role: `reward model ${i + 1} of the ensemble` }));
  }
  const safety = payload.safetyModelId === undefined ? null : await resolveModel(deps, payload.safetyModelId, { kinds: ["safety"], role: "the safety model" });
  const pool = await countUnlabelledTasks(db, project.id);
  if (pool === 0) throw new AppError("BAD_REQUEST", `Project "${project.name}" has no unlabelled tasks to score: import or generate new tasks first`);
  return { payload: { ...payload, rewardModelIds: ids }, inputs: { project: { id: project.id, name: project.name }, rewardModels, safety, pool } };
}
