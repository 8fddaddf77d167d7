// How every route handler answers an error: an AppError with its status and message; a database
// that cannot be reached with 503; anything else with 500, a generic message and a request id,
// while the server log gets the whole error under that id. No stack, SQL, Prisma text or path ever
// reaches a client.
import { randomUUID } from "node:crypto";
import { databaseUnavailableMessage, isDatabaseUnavailable } from "../db-unavailable";
import { AppError, errorStatus } from "../errors";
import { logger } from "../logger";

export function errorResponse(status: number, code: string, message: string, headers?: HeadersInit) {
  return Response.json({ error: { code, message } }, { status, headers });
}

export function newRequestId(): string {
  return randomUUID();
}

export function unexpectedErrorMessage(requestId: string): string {
  return `Something went wrong on the server. It is logged as request ${requestId}; quote that id when you report it.`;
}

/** The answer to an error thrown by a route handler; logs what the client is not shown. */
export function routeErrorResponse(err: unknown, req: Request, headers?: HeadersInit): Response {
  if (err instanceof AppError && err.code !== "INTERNAL") return errorResponse(errorStatus(err.code), err.code, err.message, headers);
  const path = new URL(req.url).pathname;
  if (isDatabaseUnavailable(err)) {
    logger.warn({ event: "database-unavailable", path, err: err instanceof Error ? err.message : String(err) }, "database unavailable");
    return errorResponse(503, "SERVICE_UNAVAILABLE", databaseUnavailableMessage, { "retry-after": "5" });
  }
  const requestId = newRequestId();
  logger.error({ err, requestId, path, method: req.method }, "request failed");
  return Response.json({ error: { code: "INTERNAL", message: unexpectedErrorMessage(requestId), requestId } }, { status: 500, headers: { "x-request-id": requestId } });
}

/** Wraps a route handler so that whatever it throws is answered by `routeErrorResponse`. */
export function handleErrors<A extends unknown[]>(handler: (req: Request, ...rest: A) => Promise<Response>) {
  return async (req: Request, ...rest: A): Promise<Response> => {
    try {
      return await handler(req, ...rest);
    } catch (err) {
      return routeErrorResponse(err, req);
    }
  };
}
