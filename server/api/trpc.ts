import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { getAuth, type Auth } from "../auth";
import { getDb, type Db } from "../db";
import { AppError, describeZodError, errorCodes } from "../errors";
import { logger, type Logger } from "../logger";
import { accessAllows, type Access } from "../users/roles";
import { databaseUnavailableMessage, isDatabaseUnavailable } from "../db-unavailable";
import { newRequestId, unexpectedErrorMessage } from "../http/errors";
import { describeUnstorable, findUnstorable } from "../text/storable";
import { getSessionUser, type SessionUser } from "../users/session";
import { getAnonymousLimiter, type AnonymousLimiter } from "./anonymous-limit";

export type ContextUser = SessionUser;

export type Context = {
  db: Db;
  auth: Auth;
  user: ContextUser | null;
  headers: Headers;
  log: Logger;
  /** Names this request in the log and in any 5xx answer. */
  requestId: string;
  /** Reading the session failed (the database is down): every call of the request answers with it. */
  sessionError?: unknown;
  anonymousLimiter?: AnonymousLimiter;
};

/** Builds the request context from the session cookie; an inactive or unknown user is anonymous. */
export async function createContext(opts: { headers: Headers; db?: Db; auth?: Auth; anonymousLimiter?: AnonymousLimiter }): Promise<Context> {
  const db = opts.db ?? getDb();
  const auth = opts.auth ?? getAuth();
  const requestId = newRequestId();
  // A failure here would leave tRPC without a context and answer it unformatted; keep it for the calls.
  const session = await getSessionUser(auth, opts.headers).then(
    (user) => ({ user, error: undefined }),
    (error: unknown) => ({ user: null, error }),
  );
  return { db, auth, user: session.user, sessionError: session.error, headers: opts.headers, log: logger.child({ requestId }), requestId, anonymousLimiter: opts.anonymousLimiter };
}

/** A thrown error as the TRPCError a client may see: services' AppErrors as they are, a database that
 *  cannot be reached as 503; anything else stays an internal error, which the formatter masks. */
function toClientError(err: unknown): unknown {
  if (err instanceof AppError) return asTrpcError(err);
  if (isDatabaseUnavailable(err)) return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: databaseUnavailableMessage, cause: err instanceof Error ? err : undefined });
  return err;
}

export type ProcedureMeta = { access: Access };

/** Each invalid input field's first message, by its full path ("changes.name"), for forms to show beside the field. */
function fieldErrorsOf(cause: unknown): Record<string, string> | null {
  if (!(cause instanceof ZodError)) return null;
  const out: Record<string, string> = {};
  for (const issue of cause.issues) {
    const key = issue.path.map(String).join(".");
    if (key && !(key in out)) out[key] = issue.message;
  }
  return out;
}

/** tRPC puts the stack into error data outside production; no client gets it. */
function withoutStack<T extends { stack?: unknown }>(data: T): Omit<T, "stack"> {
  const rest = { ...data };
  delete rest.stack;
  return rest;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error, ctx, path }) {
      const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
      const requestId = ctx?.requestId ?? newRequestId();
      // An error nobody wrote a message for shows the client nothing of the server: the log has it.
      const unexpected = error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof AppError);
      if (unexpected) logger.error({ err: error.cause ?? error, requestId, path }, "procedure failed");
      return {
        ...shape,
        // Input errors read as sentences, not as the JSON of the zod issues.
        message: unexpected ? unexpectedErrorMessage(requestId) : error.cause instanceof ZodError ? `Invalid input: ${describeZodError(error.cause)}` : shape.message,
        data: { ...withoutStack(shape.data), zodError, fieldErrors: fieldErrorsOf(error.cause), requestId },
      };
    },
  });

function asTrpcError(err: AppError) {
  return new TRPCError({ code: errorCodes[err.code].trpc, message: err.message, cause: err });
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Services throw AppError; this is the only place it becomes a TRPCError. */
const base = t.procedure.use(async ({ ctx, next, path, type, getRawInput }) => {
  const log = ctx.log.child({ path, type, userId: ctx.user?.id });
  if (ctx.sessionError !== undefined) throw toClientError(ctx.sessionError);
  // Every call without a session, batched or not, spends one of the caller's anonymous budget.
  if (!ctx.user) {
    await (ctx.anonymousLimiter ?? getAnonymousLimiter()).consume(ctx.headers).catch((err: unknown) => {
      if (err instanceof AppError) {
        log.warn({ event: "anonymous-limit", path }, "anonymous call refused");
        throw asTrpcError(err);
      }
      throw err;
    });
  }
  // Text PostgreSQL cannot store is refused here, for every procedure, before any input schema.
  const unstorable = findUnstorable(await getRawInput());
  if (unstorable) throw new TRPCError({ code: "BAD_REQUEST", message: `Invalid input: ${describeUnstorable(unstorable)}` });
  const result = await next({ ctx: { log } });
  if (!result.ok && result.error.cause) {
    const mapped = toClientError(result.error.cause);
    if (mapped !== result.error.cause) throw mapped;
  }
  return result;
});

export const publicProcedure = base.meta({ access: "public" });

/** What a user whose password was generated may still do: see who they are and choose a password. */
const beforePasswordChange = new Set(["me.get", "me.changePassword"]);

function requireRole(required: Exclude<Access, "public">) {
  return base.meta({ access: required }).use(({ ctx, next, path }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    if (!accessAllows(ctx.user, required)) {
      const needs = required === "red_teamer" ? "red-teaming access (an admin gives it under Users)" : `the ${required} role`;
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs ${needs}.` });
    }
    if (ctx.user.mustChangePassword && !beforePasswordChange.has(path)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Choose your own password first: the one you signed in with was generated (Account → Password)." });
    }
    return next({ ctx: { user: ctx.user, log: ctx.log.child({ role: ctx.user.role }) } });
  });
}

export const annotatorProcedure = requireRole("annotator");
export const reviewerProcedure = requireRole("reviewer");
export const adminProcedure = requireRole("admin");
/** Red-teamers (users with the flag), reviewers and admins: the playground and red-team attempts. */
export const redTeamProcedure = requireRole("red_teamer");
