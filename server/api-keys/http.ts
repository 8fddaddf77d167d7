// The frame of every /api/v1 route: API-key authentication, the per-key rate limit, and errors as
// `{"error": {"code", "message"}}` with the matching status.
import { authenticateApiKey, consumeApiKeyQuota, type ApiKeyPrincipal, type ApiKeyScope } from "./service";
import { getDb, type Db } from "../db";
import { getEnv } from "../env";
import { AppError } from "../errors";
import { errorResponse, routeErrorResponse } from "../http/errors";
import { logger } from "../logger";
import { assertStorable } from "../text/storable";

export { errorResponse };

export async function withApiKey(
  req: Request,
  projectId: string,
  handle: (ctx: { db: Db; key: ApiKeyPrincipal }) => Promise<Response>,
  scope: ApiKeyScope = "read",
): Promise<Response> {
  const db = getDb();
  try {
    // Path and query text PostgreSQL cannot store is refused before anything reads it.
    assertStorable(projectId, "projectId");
    assertStorable(Object.fromEntries(new URL(req.url).searchParams), "query");
    const key = await authenticateApiKey(db, req.headers.get("authorization"), projectId, scope);
    await consumeApiKeyQuota(db, key.keyId, getEnv().API_KEY_REQUESTS_PER_MINUTE);
    return await handle({ db, key });
  } catch (err) {
    if (err instanceof AppError) {
      // A refused key is logged with the path and the reason, never the key itself.
      if (err.code === "UNAUTHORIZED" || err.code === "FORBIDDEN" || err.code === "TOO_MANY_REQUESTS") {
        logger.warn({ event: "api-key", outcome: "refused", code: err.code, reason: err.message, path: new URL(req.url).pathname }, "api/v1 request refused");
      }
      const headers: HeadersInit = err.code === "UNAUTHORIZED" ? { "www-authenticate": 'Bearer realm="api/v1"' } : {};
      return routeErrorResponse(err, req, headers);
    }
    return routeErrorResponse(err, req);
  }
}
