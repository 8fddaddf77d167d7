// A training job's inputs, looked up and checked: at enqueue (so a job that cannot run is refused
// with a message the form can show) and again on the worker before each attempt.
import { stat } from "node:fs/promises";
import { AppError } from "../errors";
import { snapshotFilePath } from "../export/snapshots";
import type { ModelKind } from "../generated/prisma/client";
import type { PrepareDeps } from "../jobs/job-contract";
import type { BuiltinModel } from "../models/builtin-models";
import { resolveModelDir } from "../models/model-path";
import { ensureBuiltinModels, getModelVersionOrThrow, type ModelVersionRow } from "../models/service";

export type SnapshotInput = { id: string; projectId: string; format: string; rowCount: number; file: string };

export async function resolveSnapshot(
  { db, paths }: PrepareDeps,
  snapshotId: string | undefined,
  opts: { formats: readonly string[]; role: string },
): Promise<SnapshotInput> {
  if (snapshotId === undefined) throw new AppError("BAD_REQUEST", `Choose a snapshot (${opts.role}) or filters to create one`);
  const row = await db.snapshot.findUnique({ where: { id: snapshotId }, select: { id: true, projectId: true, format: true, rowCount: true, bytes: true, path: true } });
  if (!row) throw new AppError("NOT_FOUND", `No snapshot ${snapshotId} (${opts.role})`);
  if (!opts.formats.includes(row.format)) {
    throw new AppError("BAD_REQUEST", `Snapshot ${snapshotId} is in the ${row.format} format; ${opts.role} must be ${opts.formats.join(" or ")}`);
  }
  if (row.rowCount === 0) throw new AppError("BAD_REQUEST", `Snapshot ${snapshotId} is empty: its filter matched no labelled data (${opts.role})`);
  const file = snapshotFilePath(paths.artifactDir, row.path);
  const info = await stat(file).catch(() => null);
  if (!info || info.size !== Number(row.bytes)) throw new AppError("BAD_REQUEST", `The file of snapshot ${snapshotId} is missing or was changed (${file})`);
  return { id: row.id, projectId: row.projectId, format: row.format, rowCount: row.rowCount, file };
}

export type ModelInput = ModelVersionRow & { dir: string };

/**
 * A model version by id, or the built-in default when none is given. Built-in folders are local
 * to each machine (MODELS_DIR), so they are only looked for on the worker; trained ones live in
 * the shared artifact directory and are checked everywhere.
 */
export async function resolveModel(
  deps: PrepareDeps,
  id: string | undefined,
  opts: { kinds: readonly ModelKind[]; role: string; default?: BuiltinModel },
): Promise<ModelInput> {
  if (id === undefined) {
    if (!opts.default) throw new AppError("BAD_REQUEST", `Choose ${opts.role}`);
    await ensureBuiltinModels(deps.db);
  }
  const row = await getModelVersionOrThrow(deps.db, id ?? opts.default!.id, { kinds: opts.kinds, role: opts.role });
  if (row.prunedAt) throw new AppError("BAD_REQUEST", prunedMessage(row, opts.role));
  const dir = resolveModelDir(row, deps.paths);
  if (!row.builtin || deps.where === "worker") {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) {
      if (row.checkpointStep !== null) throw new AppError("BAD_REQUEST", prunedMessage(row, opts.role));
      const hint = row.builtin ? " (run `make models` on this machine)" : "";
      throw new AppError("BAD_REQUEST", `The folder of model ${row.name} (${row.id}) is missing: ${dir}${hint}`);
    }
  }
  return { ...row, dir };
}

function prunedMessage(row: ModelVersionRow, role: string): string {
  return (
    `Model ${row.name} (${role}) is the checkpoint at step ${row.checkpointStep} of its run, and its folder has since been removed: ` +
    "the trainer keeps only the newest keep_checkpoints checkpoints. Choose a later checkpoint or the run's final model"
  );
}
