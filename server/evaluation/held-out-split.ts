// The project's held-out split: chosen by its first reward or safety run, reused by every later
// one unless a run names another, so versions are compared on the same held-out prompts.
import { randomBytes } from "node:crypto";
import type { Db } from "../db";
import { AppError } from "../errors";

export type HeldOutSplit = { split: string; eval_fraction: number };

/** The project's split, choosing its name now if it has none (atomically: concurrent first runs agree). */
export async function projectHeldOutSplit(db: Db, projectId: string): Promise<HeldOutSplit> {
  const name = `split-${randomBytes(6).toString("hex")}`;
  const rows = await db.$queryRaw<{ heldOutSplit: string; heldOutFraction: number }[]>`
    UPDATE project SET "heldOutSplit" = COALESCE("heldOutSplit", ${name}) WHERE id = ${projectId}
    RETURNING "heldOutSplit", "heldOutFraction"`;
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  return { split: row.heldOutSplit, eval_fraction: row.heldOutFraction };
}

/**
 * A training run's config with the held-out split pinned: the project's unless the run names one
 * (or holds nothing out). The run's own eval_fraction wins over the project's share.
 */
export async function withHeldOutSplit<T extends { split?: string | null; eval_fraction?: number }>(db: Db, projectId: string, config: T): Promise<T> {
  if ((config.split !== undefined && config.split !== null) || config.eval_fraction === 0) return config;
  const project = await projectHeldOutSplit(db, projectId);
  return { ...config, split: project.split, eval_fraction: config.eval_fraction ?? project.eval_fraction };
}
