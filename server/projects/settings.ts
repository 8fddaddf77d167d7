// Admins create, edit and archive projects; every change is audited.
import type { Db } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client";
import type { TCreateProjectInput, TUpdateProjectInput } from "./project.schema";

export const projectSettingsSelect = {
  id: true,
  name: true,
  description: true,
  guidelines: true,
  guidelinesVersion: true,
  k: true,
  mode: true,
  tiesAllowed: true,
  defaultStrength: true,
  overlap: true,
  goldRate: true,
  goldThreshold: true,
  leaseMinutes: true,
  harmTaxonomy: true,
  rewardTable: true,
  rewardTableVersion: true,
  taskOrder: true,
  feedbackSampling: true,
  archivedAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ProjectSelect;

/** Every project (or those of `projectIds`), archived ones last, with its task and annotation counts. */
export async function listAllProjects(db: Db, projectIds: string[] | null = null) {
  const projects = await db.project.findMany({
    where: projectIds ? { id: { in: projectIds } } : {},
    orderBy: [{ archivedAt: { sort: "desc", nulls: "first" } }, { createdAt: "asc" }],
    select: { ...projectSettingsSelect, _count: { select: { tasks: true } } },
  });
  const annotations = await db.$queryRaw<{ projectId: string; n: bigint }[]>`
    SELECT t."projectId", count(*) AS n FROM annotation a JOIN task t ON t.id = a."taskId" GROUP BY t."projectId"`;
  const byProject = new Map(annotations.map((a) => [a.projectId, Number(a.n)]));
  return projects.map(({ _count, ...p }) => ({ ...p, tasks: _count.tasks, annotations: byProject.get(p.id) ?? 0 }));
}

export async function getProjectSettings(db: Db, projectId: string) {
  const p = await db.project.findUnique({ where: { id: projectId }, select: projectSettingsSelect });
  if (!p) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  return p;
}

/** The settings as Prisma writes them: a JSON column set to null is the database's NULL. */
function settingsData<T extends { feedbackSampling?: unknown }>(settings: T) {
  const { feedbackSampling, ...rest } = settings;
  return { ...rest, ...(feedbackSampling === undefined ? {} : { feedbackSampling: feedbackSampling === null ? Prisma.DbNull : (feedbackSampling as Prisma.InputJsonObject) }) };
}

async function nameTaken(db: Db, name: string, except?: string) {
  const other = await db.project.findUnique({ where: { name }, select: { id: true } });
  return other !== null && other.id !== except;
}

export async function createProject(db: Db, input: TCreateProjectInput, actorId: string) {
  if (await nameTaken(db, input.name)) throw new AppError("CONFLICT", `A project named "${input.name}" already exists`);
  const data = { ...settingsData(input), k: input.mode === "pairwise" ? 2 : input.k };
  return db.$transaction(async (tx) => {
    const project = await tx.project.create({ data: { ...data, createdById: actorId }, select: projectSettingsSelect });
    await tx.auditLog.create({ data: { actorId, action: "project.create", target: `project:${project.id}`, after: { name: project.name, k: project.k, mode: project.mode, overlap: project.overlap } } });
    return project;
  });
}

/**
 * K and the mode shape the imported tasks, so they are fixed once a project has tasks. A change of
 * guidelines bumps their version, which every later annotation records.
 */
export async function updateProject(db: Db, { projectId, changes }: TUpdateProjectInput, actorId: string) {
  const before = await getProjectSettings(db, projectId);
  if (changes.name !== undefined && (await nameTaken(db, changes.name, projectId))) {
    throw new AppError("CONFLICT", `A project named "${changes.name}" already exists`);
  }
  const shapeChanged = (changes.k !== undefined && changes.k !== before.k) || (changes.mode !== undefined && changes.mode !== before.mode);
  if (shapeChanged && (await db.task.count({ where: { projectId } })) > 0) {
    throw new AppError("CONFLICT", "K and the mode cannot change once the project has tasks");
  }
  const mode = changes.mode ?? before.mode;
  const k = mode === "pairwise" ? 2 : (changes.k ?? before.k);
  const guidelinesChanged = changes.guidelines !== undefined && changes.guidelines !== before.guidelines;
  const rewardTableChanged = changes.rewardTable !== undefined && JSON.stringify(changes.rewardTable) !== JSON.stringify(before.rewardTable);
  return db.$transaction(async (tx) => {
    const project = await tx.project.update({
      where: { id: projectId },
      data: {
        ...settingsData(changes),
        k,
        mode,
        ...(guidelinesChanged ? { guidelinesVersion: { increment: 1 } } : {}),
        ...(rewardTableChanged ? { rewardTableVersion: { increment: 1 } } : {}),
      },
      select: projectSettingsSelect,
    });
    const changed = Object.keys(changes).filter((key) => JSON.stringify(before[key as keyof typeof before]) !== JSON.stringify(project[key as keyof typeof project]));
    await tx.auditLog.create({
      data: {
        actorId,
        action: "project.update",
        target: `project:${projectId}`,
        before: Object.fromEntries(changed.map((key) => [key, before[key as keyof typeof before]])) as Prisma.InputJsonObject,
        after: Object.fromEntries(changed.map((key) => [key, project[key as keyof typeof project]])) as Prisma.InputJsonObject,
      },
    });
    return project;
  });
}

/** Archived projects hand out no work and leave the annotators' queue; nothing is deleted. */
export async function setProjectArchived(db: Db, { projectId, archived }: { projectId: string; archived: boolean }, actorId: string) {
  await getProjectSettings(db, projectId);
  return db.$transaction(async (tx) => {
    const project = await tx.project.update({ where: { id: projectId }, data: { archivedAt: archived ? new Date() : null }, select: projectSettingsSelect });
    if (archived) {
      await tx.assignment.updateMany({ where: { state: "leased", task: { projectId } }, data: { state: "expired", finishedAt: new Date() } });
    }
    await tx.auditLog.create({ data: { actorId, action: archived ? "project.archive" : "project.unarchive", target: `project:${projectId}` } });
    return project;
  });
}
