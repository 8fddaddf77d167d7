// API keys for /api/v1: scoped to projects, shown once, stored as a sha256, revocable.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";
import { AppError } from "../errors";
import { consumeWindow } from "../rate-window";

const keyPrefix = "rlhf_";

function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export const apiKeyScopes = ["read", "write"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export async function createApiKey(
  db: Db,
  { name, projectIds, scopes = ["read"], expiresInDays = null }: { name: string; projectIds: string[]; scopes?: ApiKeyScope[]; expiresInDays?: number | null },
  actorId: string,
) {
  const found = await db.project.findMany({ where: { id: { in: projectIds } }, select: { id: true } });
  const missing = projectIds.filter((id) => !found.some((p) => p.id === id));
  if (missing.length) throw new AppError("BAD_REQUEST", `No project with id ${missing.join(", ")}`);
  const key = `${keyPrefix}${randomBytes(24).toString("base64url")}`;
  const created = await db.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        name,
        prefix: key.slice(0, keyPrefix.length + 6),
        hash: hashKey(key),
        projectIds: [...new Set(projectIds)],
        scopes: [...new Set(scopes)],
        expiresAt: expiresInDays === null ? null : new Date(Date.now() + expiresInDays * 86_400_000),
        createdById: actorId,
      },
      select: { id: true, name: true, prefix: true, projectIds: true, scopes: true, expiresAt: true, createdAt: true },
    });
    await tx.auditLog.create({ data: { actorId, action: "api_key.create", target: `api_key:${row.id}`, after: { name, projectIds: row.projectIds, scopes: row.scopes, expiresAt: row.expiresAt?.toISOString() ?? null } } });
    return row;
  });
  return { ...created, key };
}

export async function listApiKeys(db: Db) {
  const [keys, projects] = await Promise.all([
    db.apiKey.findMany({
      orderBy: { createdAt: "desc" },
      select: { id: true, name: true, prefix: true, projectIds: true, scopes: true, expiresAt: true, createdAt: true, lastUsedAt: true, revokedAt: true, createdBy: { select: { name: true, active: true } } },
    }),
    db.project.findMany({ select: { id: true, name: true } }),
  ]);
  const names = new Map(projects.map((p) => [p.id, p.name]));
  return keys.map(({ createdBy, ...k }) => ({
    ...k,
    createdByName: createdBy?.name ?? null,
    // A key works only while the person who made it may still act.
    ownerInactive: createdBy ? !createdBy.active : true,
    projects: k.projectIds.map((id) => ({ id, name: names.get(id) ?? "(deleted project)" })),
  }));
}

export async function revokeApiKey(db: Db, { keyId }: { keyId: string }, actorId: string) {
  const key = await db.apiKey.findUnique({ where: { id: keyId }, select: { id: true, revokedAt: true } });
  if (!key) throw new AppError("NOT_FOUND", `No API key with id ${keyId}`);
  if (key.revokedAt) return key;
  return db.$transaction(async (tx) => {
    const revoked = await tx.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() }, select: { id: true, revokedAt: true } });
    await tx.auditLog.create({ data: { actorId, action: "api_key.revoke", target: `api_key:${keyId}` } });
    return revoked;
  });
}

export type ApiKeyPrincipal = { keyId: string; name: string; projectIds: string[]; scopes: string[]; ownerId: string | null };

// lastUsedAt is written at most once a minute per key, not on every request.
const lastUsedResolutionMs = 60_000;

/**
 * The key behind an `Authorization: Bearer <key>` header, allowed for this project and scope:
 * UNAUTHORIZED when it is missing, unknown, revoked, expired or its owner deactivated (or deleted),
 * FORBIDDEN when the project or the scope is not the key's.
 */
export async function authenticateApiKey(db: Db, authorization: string | null, projectId: string, scope: ApiKeyScope = "read"): Promise<ApiKeyPrincipal> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new AppError("UNAUTHORIZED", "Send an API key as `Authorization: Bearer <key>`");
  const key = await db.apiKey.findUnique({
    where: { hash: hashKey(match[1]!) },
    select: { id: true, name: true, projectIds: true, scopes: true, expiresAt: true, revokedAt: true, lastUsedAt: true, createdById: true, createdBy: { select: { active: true } } },
  });
  if (!key) throw new AppError("UNAUTHORIZED", "This API key is not valid");
  if (key.revokedAt) throw new AppError("UNAUTHORIZED", "This API key was revoked");
  if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) throw new AppError("UNAUTHORIZED", `This API key expired on ${key.expiresAt.toISOString()}`);
  if (!key.createdBy?.active) throw new AppError("UNAUTHORIZED", "This API key's owner is deactivated; an active admin must create a new key");
  if (!key.projectIds.includes(projectId)) throw new AppError("FORBIDDEN", `This API key is not allowed to access project ${projectId}`);
  if (!key.scopes.includes(scope)) throw new AppError("FORBIDDEN", `This API key may ${key.scopes.join(" and ") || "do nothing"}, not ${scope}`);
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > lastUsedResolutionMs) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  return { keyId: key.id, name: key.name, projectIds: key.projectIds, scopes: key.scopes, ownerId: key.createdById };
}

export function consumeApiKeyQuota(db: Db, keyId: string, requestsPerMinute: number): Promise<void> {
  return consumeWindow(db, keyId, { prefix: "api_key", points: requestsPerMinute, seconds: 60 }, (s) => `Rate limit of ${requestsPerMinute} requests per minute reached; retry in ${Math.ceil(s)} s`);
}

/** Snapshots one key may create per hour: each one is a full export written to disk. */
export function consumeSnapshotQuota(db: Db, keyId: string, perHour: number): Promise<void> {
  return consumeWindow(db, keyId, { prefix: "api_key_snapshots", points: perHour, seconds: 3600 }, (s) => `This key has created its ${perHour} snapshots for this hour; retry in ${Math.ceil(s / 60)} min`);
}
