import { APIError } from "better-auth/api";
import { randomBytes } from "node:crypto";
import type { Auth } from "../auth";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import type { Role } from "./roles";
import type { TChangePasswordInput, TInviteUserInput } from "./user.schema";

export const userSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  active: true,
  redTeamer: true,
  createdAt: true,
} satisfies Prisma.UserSelect;

export function listUsers(db: Db) {
  return db.user.findMany({ orderBy: { createdAt: "asc" }, select: userSelect });
}

async function getUserOrThrow(db: Db, userId: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: userSelect });
  if (!user) throw new AppError("NOT_FOUND", `No user with id ${userId}`);
  return user;
}

/**
 * Creates an account with a credential password through better-auth's own adapter and hasher.
 * Returns the password when it was generated, so it can be shown once.
 */
export async function inviteUser(
  { db, auth }: { db: Db; auth: Auth },
  input: TInviteUserInput,
  actorId: string | null,
  /** A password someone else has seen: its owner must replace it at first sign-in. Default: when it is generated here. */
  { temporaryPassword = input.password === undefined }: { temporaryPassword?: boolean } = {},
) {
  const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `A user with email ${input.email} already exists`);
  const projectIds = input.projectIds ?? [];
  if (projectIds.length > 0 && input.role === "admin") throw new AppError("BAD_REQUEST", "Admins work on every project: leave the projects empty");
  const found = await db.project.count({ where: { id: { in: projectIds } } });
  if (found !== new Set(projectIds).size) throw new AppError("NOT_FOUND", "One of the chosen projects does not exist");
  const password = input.password ?? randomBytes(12).toString("base64url");
  const ctx = await auth.$context;
  const hash = await ctx.password.hash(password);
  const created = await ctx.internalAdapter.createUser({
    email: input.email,
    name: input.name,
    role: input.role,
    active: true,
    mustChangePassword: temporaryPassword,
    emailVerified: true,
  }, { method: "admin" });
  await ctx.internalAdapter.linkAccount({ userId: created.id, providerId: "credential", accountId: created.id, password: hash });
  const user = await getUserOrThrow(db, created.id);
  if (projectIds.length > 0) {
    await db.projectMember.createMany({ data: projectIds.map((projectId) => ({ projectId, userId: user.id, addedById: actorId })), skipDuplicates: true });
  }
  await db.auditLog.create({
    data: { actorId, action: "user.invite", target: `user:${user.id}`, after: { email: user.email, role: user.role, projectIds } },
  });
  return { user, generatedPassword: input.password ? null : password };
}

export async function setUserRole(db: Db, { userId, role }: { userId: string; role: Role }, actorId: string) {
  if (userId === actorId && role !== "admin") throw new AppError("CONFLICT", "You cannot remove your own admin role");
  const before = await getUserOrThrow(db, userId);
  const [user] = await db.$transaction([
    db.user.update({ where: { id: userId }, data: { role }, select: userSelect }),
    db.auditLog.create({
      data: { actorId, action: "user.set_role", target: `user:${userId}`, before: { role: before.role }, after: { role } },
    }),
  ]);
  return user;
}

/** The red-teaming flag: the playground and campaigns' attempts, on top of the user's role. */
export async function setUserRedTeamer(db: Db, { userId, redTeamer }: { userId: string; redTeamer: boolean }, actorId: string) {
  const before = await getUserOrThrow(db, userId);
  const [user] = await db.$transaction([
    db.user.update({ where: { id: userId }, data: { redTeamer }, select: userSelect }),
    db.auditLog.create({ data: { actorId, action: "user.set_red_teamer", target: `user:${userId}`, before: { redTeamer: before.redTeamer }, after: { redTeamer } } }),
  ]);
  return user;
}

/** Deactivation signs the user out everywhere, blocks sign-in and gives their leased tasks back to
 *  the pool; their submitted work stays. */
export async function setUserActive(db: Db, { userId, active }: { userId: string; active: boolean }, actorId: string) {
  if (userId === actorId && !active) throw new AppError("CONFLICT", "You cannot deactivate your own account");
  const before = await getUserOrThrow(db, userId);
  const [user] = await db.$transaction([
    db.user.update({ where: { id: userId }, data: { active }, select: userSelect }),
    ...(active
      ? []
      : [
          db.session.deleteMany({ where: { userId } }),
          db.assignment.updateMany({ where: { annotatorId: userId, state: "leased" }, data: { state: "expired", finishedAt: new Date() } }),
        ]),
    db.auditLog.create({
      data: {
        actorId,
        action: active ? "user.reactivate" : "user.deactivate",
        target: `user:${userId}`,
        before: { active: before.active },
        after: { active },
      },
    }),
  ]);
  return user;
}

/**
 * Sets a user's own password (checking the current one) through better-auth, ends their other
 * sessions, and lifts the first-sign-in requirement.
 */
export async function changeOwnPassword({ db, auth }: { db: Db; auth: Auth }, userId: string, headers: Headers, input: TChangePasswordInput) {
  try {
    await auth.api.changePassword({ body: { currentPassword: input.currentPassword, newPassword: input.newPassword, revokeOtherSessions: false }, headers });
  } catch (err) {
    if (err instanceof APIError) throw new AppError("BAD_REQUEST", err.status === "BAD_REQUEST" || err.statusCode === 400 ? "The current password is not right" : err.message);
    throw err;
  }
  // Every other session ends (someone who knew the old password may hold one); this one goes on.
  const current = await auth.api.getSession({ headers });
  await db.$transaction([
    db.session.deleteMany({ where: { userId, ...(current ? { token: { not: current.session.token } } : {}) } }),
    db.user.update({ where: { id: userId }, data: { mustChangePassword: false } }),
    db.auditLog.create({ data: { actorId: userId, action: "user.change_password", target: `user:${userId}` } }),
  ]);
  return { ok: true };
}
