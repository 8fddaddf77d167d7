// API keys for /api/v1: scoped to projects, shown once, stored as a sha256, revocable.
import { createHash, randomBytes } from "node:crypto";
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../db";
import { AppError } from "../errors";

const keyPrefix = "rlhf_";

function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export async function createApiKey(db: Db, { name, projectIds }: { name: string; projectIds: string[] }, actorId: string) {
  const found = await db.project.findMany({ where: { id: { in: projectIds } }, select: { id: true } });
  const missing = projectIds.filter((id) => !found.some((p) => p.id === id));
  if (missing.length) throw new AppError("BAD_REQUEST", `No project with id ${missing.join(", ")}`);
  const key = `${keyPrefix}${randomBytes(24).toString("base64url")}`;
  const created = await db.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: { name, prefix: key.slice(0, keyPrefix.length + 6), hash: hashKey(key), projectIds: [...new Set(projectIds)], createdById: actorId },
      select: { id: true, name: true, prefix: true, projectIds: true, createdAt: true },
    });
    await tx.auditLog.create({ data: { actorId, action: "api_key.create", target: `api_key:${row.id}`, after: { name, projectIds: row.projectIds } } });
    return row;
  });
  return { ...created, key };
}

export async function listApiKeys(db: Db) {
  const [keys, projects] = await Promise.all([
    db.apiKey.findMany({
      orderBy: { createdAt: "desc" },
      select: { id: true, name: true, prefix: true, projectIds: true, createdAt: true, lastUsedAt: true, revokedAt: true, createdBy: { select: { name: true } } },
    }),
    db.project.findMany({ select: { id: true, name: true } }),
  ]);
  const names = new Map(projects.map((p) => [p.id, p.name]));
  return keys.map(({ createdBy, ...k }) => ({
    ...k,
    createdByName: createdBy?.name ?? null,
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

export type ApiKeyPrincipal = { keyId: string; name: string; projectIds: string[] };

// lastUsedAt is written at most once a minute per key, not on every request.
const lastUsedResolutionMs = 60_000;

/**
 * The key behind an `Authorization: Bearer <key>` header, allowed for this project:
 * UNAUTHORIZED when it is missing, unknown or revoked, FORBIDDEN when the project is not in scope.
 */
export async function authenticateApiKey(db: Db, authorization: string | null, projectId: string): Promise<ApiKeyPrincipal> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new AppError("UNAUTHORIZED", "Send an API key as `Authorization: Bearer <key>`");
  const key = await db.apiKey.findUnique({ where: { hash: hashKey(match[1]!) }, select: { id: true, name: true, projectIds: true, revokedAt: true, lastUsedAt: true } });
  if (!key) throw new AppError("UNAUTHORIZED", "This API key is not valid");
  if (key.revokedAt) throw new AppError("UNAUTHORIZED", "This API key was revoked");
  if (!key.projectIds.includes(projectId)) throw new AppError("FORBIDDEN", `This API key is not allowed to access project ${projectId}`);
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > lastUsedResolutionMs) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
  }
  return { keyId: key.id, name: key.name, projectIds: key.projectIds };
}

const limiters = new WeakMap<Db, Map<number, RateLimiterPrisma>>();

/** A fixed window per key, counted in the database so every server process shares it. */
export async function consumeApiKeyQuota(db: Db, keyId: string, requestsPerMinute: number): Promise<void> {
  let byLimit = limiters.get(db);
  if (!byLimit) limiters.set(db, (byLimit = new Map()));
  let limiter = byLimit.get(requestsPerMinute);
  if (!limiter) {
    limiter = new RateLimiterPrisma({ storeClient: db, tableName: "rateLimit", keyPrefix: "api_key", points: requestsPerMinute, duration: 60 });
    byLimit.set(requestsPerMinute, limiter);
  }
  try {
    await limiter.consume(keyId);
  } catch (err) {
    if (err instanceof RateLimiterRes) {
      throw new AppError("TOO_MANY_REQUESTS", `Rate limit of ${requestsPerMinute} requests per minute reached; retry in ${Math.ceil(err.msBeforeNext / 1000)} s`);
    }
    throw err;
  }
}
