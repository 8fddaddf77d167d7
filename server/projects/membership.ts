// Who may work on which project. Annotators and reviewers see, lease, review and read the dashboards
// of the projects they are members of; admins work on every project.
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Role } from "../users/roles";
import { writeAudit } from "../audit/log";

export type ProjectViewer = { id: string; role: Role };

export const notAMember = () =>
  new AppError("FORBIDDEN", "You are not a member of this project: ask an admin to add you (Admin → Projects → the project → Members).");

/** The projects a person may work on, or null when they may work on all of them (admins). */
export async function memberProjectIds(db: Db, viewer: ProjectViewer): Promise<string[] | null> {
  if (viewer.role === "admin") return null;
  const rows = await db.projectMember.findMany({ where: { userId: viewer.id }, select: { projectId: true } });
  return rows.map((r) => r.projectId);
}

/** Refuses with 403 unless the viewer is an admin or a member of the project. */
export async function assertProjectAccess(db: Db, viewer: ProjectViewer, projectId: string): Promise<void> {
  if (viewer.role === "admin") return;
  const member = await db.projectMember.findUnique({ where: { projectId_userId: { projectId, userId: viewer.id } }, select: { userId: true } });
  if (!member) throw notAMember();
}

/** The project an annotation belongs to, for checks on procedures that name only the annotation. */
export async function assertAnnotationAccess(db: Db, viewer: ProjectViewer, annotationId: string): Promise<void> {
  if (viewer.role === "admin") return;
  const row = await db.annotation.findUnique({ where: { id: annotationId }, select: { task: { select: { projectId: true } } } });
  if (!row) throw new AppError("NOT_FOUND", `No annotation ${annotationId}`);
  await assertProjectAccess(db, viewer, row.task.projectId);
}

export async function listMembers(db: Db, projectId: string) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const rows = await db.projectMember.findMany({
    where: { projectId },
    orderBy: { createdAt: "asc" },
    select: { createdAt: true, user: { select: { id: true, name: true, email: true, role: true, active: true } }, addedBy: { select: { name: true } } },
  });
  return rows.map((r) => ({ ...r.user, addedAt: r.createdAt, addedBy: r.addedBy?.name ?? null }));
}

/**
 * Adds people to a project; those already members are left as they are. Admins need no membership,
 * so adding one is refused rather than silently stored.
 */
export async function addMembers(db: Db, { projectId, userIds }: { projectId: string; userIds: string[] }, actorId: string) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const users = await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, role: true, email: true } });
  const missing = userIds.filter((id) => !users.some((u) => u.id === id));
  if (missing.length > 0) throw new AppError("NOT_FOUND", `No user with id ${missing.join(", ")}`);
  const admins = users.filter((u) => u.role === "admin");
  if (admins.length > 0) throw new AppError("BAD_REQUEST", `Admins work on every project and need no membership: ${admins.map((a) => a.email).join(", ")}`);
  return db.$transaction(async (tx) => {
    const { count } = await tx.projectMember.createMany({ data: userIds.map((userId) => ({ projectId, userId, addedById: actorId })), skipDuplicates: true });
    if (count > 0) await writeAudit(tx, { actorId, action: "project.members.add", target: `project:${projectId}`, projectId, after: { userIds } });
    return { added: count };
  });
}

/** Removes a person from a project and hands their live leases on it back to the pool. */
export async function removeMember(db: Db, { projectId, userId }: { projectId: string; userId: string }, actorId: string) {
  return db.$transaction(async (tx) => {
    const { count } = await tx.projectMember.deleteMany({ where: { projectId, userId } });
    if (count === 0) throw new AppError("NOT_FOUND", "That person is not a member of this project");
    const released = await tx.assignment.updateMany({
      where: { annotatorId: userId, state: "leased", task: { projectId } },
      data: { state: "expired", finishedAt: new Date() },
    });
    await writeAudit(tx, { actorId, action: "project.members.remove", target: `project:${projectId}`, projectId, before: { userId } });
    return { removed: true, leasesReleased: released.count };
  });
}
