import type { Db } from "../db";
import { AppError } from "../errors";
import type { ModelKind, Prisma } from "../generated/prisma/client";
import { builtinModels } from "./builtin-models";

export const modelVersionSelect = {
  id: true,
  kind: true,
  name: true,
  path: true,
  builtin: true,
  parentId: true,
  rewardModelId: true,
  safetyModelId: true,
  snapshotId: true,
  jobId: true,
  projectId: true,
  eval: true,
  config: true,
  checkpointStep: true,
  prunedAt: true,
  createdAt: true,
} satisfies Prisma.ModelVersionSelect;

export type ModelVersionRow = Prisma.ModelVersionGetPayload<{ select: typeof modelVersionSelect }>;

/** Registers the built-in default models (idempotent; concurrent callers are fine). */
export async function ensureBuiltinModels(db: Db): Promise<void> {
  await db.modelVersion.createMany({
    data: builtinModels.map((m) => ({ id: m.id, kind: m.kind, name: m.name, path: m.path, builtin: true })),
    skipDuplicates: true,
  });
}

/**
 * A model version that must exist and be of one of `kinds`; `role` names what it is for in the
 * message ("the reward model's backbone").
 */
export async function getModelVersionOrThrow(db: Db, id: string, opts: { kinds?: readonly ModelKind[]; role?: string } = {}): Promise<ModelVersionRow> {
  const row = await db.modelVersion.findUnique({ where: { id }, select: modelVersionSelect });
  const role = opts.role ?? "model version";
  if (!row) throw new AppError("NOT_FOUND", `No model version ${id} (${role})`);
  if (opts.kinds && !opts.kinds.includes(row.kind)) {
    throw new AppError("BAD_REQUEST", `Model version ${row.name} (${id}) is a ${row.kind} model; ${role} must be ${opts.kinds.join(" or ")}`);
  }
  return row;
}

export type RegisterModelVersion = {
  kind: ModelKind;
  name: string;
  path: string;
  jobId: string;
  /** The step of a checkpoint the run reported; absent for the model a run ends with. */
  checkpointStep?: number;
  parentId?: string | null;
  rewardModelId?: string | null;
  safetyModelId?: string | null;
  snapshotId?: string | null;
  projectId?: string | null;
  eval?: Prisma.InputJsonValue;
  config?: Prisma.InputJsonValue;
};

/**
 * Records a job's model or one of its checkpoints. Each is registered once, so a retried
 * registration (or a checkpoint seen again after a resume) returns the first.
 */
export async function registerModelVersion(db: Db, data: RegisterModelVersion): Promise<ModelVersionRow> {
  const { checkpointStep } = data;
  if (checkpointStep !== undefined) {
    return db.modelVersion.upsert({
      where: { jobId_kind_checkpointStep: { jobId: data.jobId, kind: data.kind, checkpointStep } },
      create: data,
      update: {},
      select: modelVersionSelect,
    });
  }
  // The unique key does not cover a NULL step; one worker runs a job at a time, so look, then create.
  const first = await db.modelVersion.findFirst({ where: { jobId: data.jobId, kind: data.kind, checkpointStep: null }, select: modelVersionSelect });
  return first ?? db.modelVersion.create({ data, select: modelVersionSelect });
}
