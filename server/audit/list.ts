// The audit log as admins read it: newest first, filtered by who, what and which project.
import { z } from "zod";
import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";

export const ZListAuditInput = z.object({
  actorId: z.string().min(1).max(64).optional(),
  /** An action (`job.cancel`) or its family (`job.`, `loop.`). */
  action: z.string().trim().min(1).max(100).optional(),
  projectId: z.uuid("projectId must be a project's id").optional(),
  /** Rows older than this row id (the previous page's last). */
  before: z.string().regex(/^\d+$/, "before is a row id").optional(),
  limit: z.int().min(1).max(500).default(100),
});
export type TListAuditInput = z.input<typeof ZListAuditInput>;

export async function listAudit(db: Db, raw: TListAuditInput) {
  const input = ZListAuditInput.parse(raw);
  const where: Prisma.AuditLogWhereInput = {
    ...(input.actorId ? { actorId: input.actorId } : {}),
    ...(input.action ? (input.action.endsWith(".") ? { action: { startsWith: input.action } } : { action: input.action }) : {}),
    ...(input.projectId ? { projectId: input.projectId } : {}),
    ...(input.before ? { id: { lt: BigInt(input.before) } } : {}),
  };
  const rows = await db.auditLog.findMany({
    where,
    orderBy: { id: "desc" },
    take: input.limit,
    select: { id: true, action: true, target: true, projectId: true, before: true, after: true, at: true, actor: { select: { id: true, email: true, name: true } } },
  });
  const projects = await db.project.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.projectId).filter((p): p is string => p !== null))] } }, select: { id: true, name: true } });
  const names = new Map(projects.map((p) => [p.id, p.name]));
  return {
    rows: rows.map((r) => ({ ...r, id: String(r.id), projectName: r.projectId ? (names.get(r.projectId) ?? null) : null })),
    next: rows.length === input.limit ? String(rows.at(-1)!.id) : null,
  };
}
