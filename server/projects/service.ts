import { annotatorProgress } from "../annotation/service";
import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";

export const projectSummarySelect = {
  id: true,
  name: true,
  description: true,
  k: true,
  mode: true,
  overlap: true,
  createdAt: true,
} satisfies Prisma.ProjectSelect;

/** Active projects with the progress the annotator's queue page shows; `projectIds` null means all. */
export async function listActiveProjects(db: Db, { userId, projectIds }: { userId: string; projectIds: string[] | null }) {
  const [projects, progress] = await Promise.all([
    db.project.findMany({ where: { archivedAt: null, ...(projectIds ? { id: { in: projectIds } } : {}) }, orderBy: { createdAt: "asc" }, select: projectSummarySelect }),
    annotatorProgress(db, { annotatorId: userId }),
  ]);
  const none = { total: 0, complete: 0, availableToMe: 0, doneToday: 0, doneByMe: 0 };
  return projects.map((p) => ({ ...p, progress: progress.get(p.id) ?? none }));
}
