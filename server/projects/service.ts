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

export function listActiveProjects(db: Db) {
  return db.project.findMany({ where: { archivedAt: null }, orderBy: { createdAt: "asc" }, select: projectSummarySelect });
}
