import type PgBoss from "pg-boss";
import type { Db } from "../db";
import { AppError } from "../errors";
import { createSnapshot, deleteSnapshot } from "../export/snapshots";
import { enqueue } from "../jobs/service";
import { storagePathsFromEnv, type StoragePaths } from "../storage";
import type { TNewSnapshot, TStartRunInput } from "./run.schema";

type Deps = { db: Db; boss: PgBoss; paths?: StoragePaths };

/** The payload key a snapshot created from filters fills, per kind. */
const snapshotKey = { train_reward: "snapshotId", train_safety: "snapshotId", train_sft: "snapshotId", dpo: "snapshotId", kto: "snapshotId", ppo: "promptsSnapshotId", grpo: "promptsSnapshotId", rloo: "promptsSnapshotId", generate: "snapshotId", forecast: "snapshotId" } as const;

/**
 * Starts a run of any trainer kind. The payload was checked with the kind's own schema; `enqueue`
 * checks that its snapshots and models exist and fit, so a run that cannot start is never queued.
 * (Kept out of service.ts: the worker imports that file, and run.schema.ts imports the job kinds.)
 */
export async function startRun(deps: Deps, input: TStartRunInput, options: { createdById?: string } = {}) {
  if (input.kind !== "evaluate" && input.kind !== "acquire" && input.kind !== "serve" && input.newSnapshot) return startWithNewSnapshot(deps, input, input.newSnapshot, options);
  return enqueueRun(deps, input, options);
}

function enqueueRun(deps: Deps, input: TStartRunInput, options: { createdById?: string }) {
  switch (input.kind) {
    case "train_reward":
      return enqueue(deps, input.kind, input.payload, options);
    case "train_safety":
      return enqueue(deps, input.kind, input.payload, options);
    case "train_sft":
      return enqueue(deps, input.kind, input.payload, options);
    case "dpo":
      return enqueue(deps, input.kind, input.payload, options);
    case "kto":
      return enqueue(deps, input.kind, input.payload, options);
    case "ppo":
      return enqueue(deps, input.kind, input.payload, options);
    case "grpo":
      return enqueue(deps, input.kind, input.payload, options);
    case "rloo":
      return enqueue(deps, input.kind, input.payload, options);
    case "generate":
      return enqueue(deps, input.kind, input.payload, options);
    case "evaluate":
      return enqueue(deps, input.kind, input.payload, options);
    case "acquire":
      return enqueue(deps, input.kind, input.payload, options);
    case "forecast":
      return enqueue(deps, input.kind, input.payload, options);
    case "serve":
      return enqueue(deps, input.kind, input.payload, options);
  }
}

/**
 * Freezes the chosen filters into a snapshot and starts the run on it. When the run is refused
 * (an empty snapshot, a missing model), the snapshot is removed again, so bad input changes nothing.
 */
async function startWithNewSnapshot(deps: Deps, input: Exclude<TStartRunInput, { kind: "evaluate" | "acquire" | "serve" }>, request: TNewSnapshot, options: { createdById?: string }) {
  const key = snapshotKey[input.kind];
  const payload = input.payload as Record<string, unknown>;
  if (payload[key] !== undefined) throw new AppError("BAD_REQUEST", `Choose a snapshot (${key}) or filters for a new one, not both`);
  if (input.kind === "generate" && input.payload.prompts !== undefined) throw new AppError("BAD_REQUEST", "Give the prompts as a list or filters for a new snapshot, not both");
  const project = await deps.db.project.findUnique({ where: { id: request.projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${request.projectId} (for the new snapshot)`);
  const artifactDir = (deps.paths ?? storagePathsFromEnv()).artifactDir;
  // Training data never holds the project's evaluation prompts (spot checks put them up for labelling).
  const filters = { ...request.request, excludeEvaluationPrompts: request.request.excludeEvaluationPrompts ?? true };
  const snapshot = await createSnapshot(deps.db, { projectId: request.projectId, request: filters, artifactDir, createdById: options.createdById ?? null });
  try {
    if (snapshot.rowCount === 0) throw new AppError("BAD_REQUEST", `No labelled data in this project matches these filters (${snapshot.format}); nothing was started`);
    return await enqueueRun(deps, { ...input, payload: { ...input.payload, [key]: snapshot.id } } as TStartRunInput, options);
  } catch (err) {
    await deleteSnapshot(deps.db, { snapshotId: snapshot.id, artifactDir });
    throw err;
  }
}
