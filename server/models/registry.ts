import type { Db } from "../db";
import { AppError } from "../errors";
import type { ModelKind, Prisma } from "../generated/prisma/client";
import { evalCaveats, evalHeadline } from "./eval-headline";
import { modelVersionSelect } from "./service";

/** Kinds that generate text, so a project may sample new candidates from them. */
export const policyKinds: readonly ModelKind[] = ["policy", "sft"];

const modelRefSelect = { id: true, name: true, kind: true, jobId: true, snapshotId: true, checkpointStep: true, createdAt: true } satisfies Prisma.ModelVersionSelect;
const snapshotRefSelect = { id: true, format: true, rowCount: true, createdAt: true, project: { select: { id: true, name: true } } } satisfies Prisma.SnapshotSelect;

const registrySelect = {
  ...modelVersionSelect,
  retrainFlaggedAt: true,
  retrainReason: true,
  project: { select: { id: true, name: true } },
  parent: { select: modelRefSelect },
  snapshot: { select: snapshotRefSelect },
  currentPolicyOf: { select: { id: true, name: true } },
} satisfies Prisma.ModelVersionSelect;

export type RegistryFilter = {
  kind?: ModelKind;
  limit?: number;
  /** Versions of runs' intermediate checkpoints too (default), or only the models runs end with. */
  checkpoints?: boolean;
  /** Checkpoints whose folder the trainer has pruned (default: left out, they cannot be used). */
  pruned?: boolean;
};

/** The registry table: each version with its project, parent, snapshot, the projects it is current policy of, and eval headline. */
export async function listRegistry(db: Db, { kind, limit = 100, checkpoints = true, pruned = false }: RegistryFilter = {}) {
  const where: Prisma.ModelVersionWhereInput = { kind, ...(checkpoints ? {} : { checkpointStep: null }), ...(pruned ? {} : { prunedAt: null }) };
  const rows = await db.modelVersion.findMany({ where, orderBy: [{ createdAt: "desc" }, { checkpointStep: { sort: "desc", nulls: "first" } }], take: limit, select: registrySelect });
  return rows.map((r) => ({ ...r, headline: evalHeadline(r.eval), caveats: evalCaveats(r.eval) }));
}

const lineageNodeSelect = {
  ...modelRefSelect,
  parentId: true,
  rewardModel: { select: modelRefSelect },
  safetyModel: { select: modelRefSelect },
  snapshot: { select: snapshotRefSelect },
} satisfies Prisma.ModelVersionSelect;

// Lineage is a short chain (base → sft → policy → policy …); the cap only guards against a cycle.
const maxParents = 50;

/** One version with its eval, the job that made it, and its lineage: parent chain (nearest first), reward/safety models, snapshot. */
export async function getModelVersionDetailOrThrow(db: Db, id: string) {
  const row = await db.modelVersion.findUnique({
    where: { id },
    select: {
      ...registrySelect,
      config: true,
      rewardModel: { select: { ...modelRefSelect, snapshot: { select: snapshotRefSelect } } },
      safetyModel: { select: { ...modelRefSelect, snapshot: { select: snapshotRefSelect } } },
      job: { select: { id: true, kind: true, state: true, createdAt: true, finishedAt: true } },
    },
  });
  if (!row) throw new AppError("NOT_FOUND", `No model version ${id}`);
  const parents: Prisma.ModelVersionGetPayload<{ select: typeof lineageNodeSelect }>[] = [];
  const seen = new Set([row.id]);
  let next = row.parentId;
  while (next && !seen.has(next) && parents.length < maxParents) {
    seen.add(next);
    const p = await db.modelVersion.findUnique({ where: { id: next }, select: lineageNodeSelect });
    if (!p) break;
    parents.push(p);
    next = p.parentId;
  }
  return { ...row, headline: evalHeadline(row.eval), caveats: evalCaveats(row.eval), parents };
}

/** Makes a policy (or SFT model) the project's current policy, with an audit row, in one transaction. */
export async function promoteModelVersion(db: Db, { modelVersionId, projectId }: { modelVersionId: string; projectId: string }, actorId: string | null) {
  return db.$transaction(async (tx) => {
    const model = await tx.modelVersion.findUnique({ where: { id: modelVersionId }, select: { id: true, name: true, kind: true, checkpointStep: true, prunedAt: true } });
    if (!model) throw new AppError("NOT_FOUND", `No model version ${modelVersionId}`);
    if (model.prunedAt) {
      throw new AppError("BAD_REQUEST", `Model version ${model.name} is a checkpoint (step ${model.checkpointStep}) whose folder the trainer has removed; it cannot be a project's current policy`);
    }
    if (!policyKinds.includes(model.kind)) {
      throw new AppError("BAD_REQUEST", `Model version ${model.name} is a ${model.kind} model; only a policy or SFT model can be a project's current policy`);
    }
    const project = await tx.project.findUnique({ where: { id: projectId }, select: { id: true, name: true, currentPolicyId: true, archivedAt: true } });
    if (!project) throw new AppError("NOT_FOUND", `No project ${projectId}`);
    if (project.archivedAt) throw new AppError("BAD_REQUEST", `Project ${project.name} is archived`);
    const updated = await tx.project.update({ where: { id: projectId }, data: { currentPolicyId: model.id }, select: { id: true, name: true, currentPolicyId: true } });
    await tx.auditLog.create({
      data: { actorId, action: "model.promote", target: `project:${projectId}`, before: { currentPolicyId: project.currentPolicyId }, after: { currentPolicyId: model.id, modelName: model.name } },
    });
    return { ...updated, previousPolicyId: project.currentPolicyId };
  });
}
