import type { ZodError } from "zod";

// The one error vocabulary of the services. Routers and the REST API map it with `errorStatus`.
export const errorCodes = {
  BAD_REQUEST: { trpc: "BAD_REQUEST", http: 400 },
  UNAUTHORIZED: { trpc: "UNAUTHORIZED", http: 401 },
  FORBIDDEN: { trpc: "FORBIDDEN", http: 403 },
  NOT_FOUND: { trpc: "NOT_FOUND", http: 404 },
  CONFLICT: { trpc: "CONFLICT", http: 409 },
  PAYLOAD_TOO_LARGE: { trpc: "PAYLOAD_TOO_LARGE", http: 413 },
  TOO_MANY_REQUESTS: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  /** Out of the storage quota (507 Insufficient Storage; tRPC has no such code, the message says it). */
  QUOTA_EXCEEDED: { trpc: "PRECONDITION_FAILED", http: 507 },
  /** A model server the request is forwarded to failed or could not be reached. */
  BAD_GATEWAY: { trpc: "BAD_GATEWAY", http: 502 },
  INTERNAL: { trpc: "INTERNAL_SERVER_ERROR", http: 500 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export function errorStatus(code: ErrorCode): number {
  return errorCodes[code].http;
}

/** A zod error as one sentence a client can act on. */
export function describeZodError(err: ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}
