// One row per privileged change: who, what, on which target and project, before and after.
import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";

export type AuditEntry = {
  actorId: string | null;
  action: string;
  target: string;
  projectId?: string | null;
  before?: Prisma.InputJsonValue;
  after?: Prisma.InputJsonValue;
};

export async function writeAudit(db: Db | Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({ data: { ...entry, projectId: entry.projectId ?? null } });
}
