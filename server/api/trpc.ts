import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { getAuth, type Auth } from "../auth";
import { getDb, type Db } from "../db";
import { AppError, describeZodError, errorCodes } from "../errors";
import { logger, type Logger } from "../logger";
import { roleAllows, type Access, type Role } from "../users/roles";
import { getSessionUser, type SessionUser } from "../users/session";
import { getAnonymousLimiter, type AnonymousLimiter } from "./anonymous-limit";

export type ContextUser = SessionUser;

export type Context = { db: Db; auth: Auth; user: ContextUser | null; headers: Headers; log: Logger; anonymousLimiter?: AnonymousLimiter };

/** Builds the request context from the session cookie; an inactive or unknown user is anonymous. */
export async function createContext(opts: { headers: Headers; db?: Db; auth?: Auth; anonymousLimiter?: AnonymousLimiter }): Promise<Context> {
  const db = opts.db ?? getDb();
  const auth = opts.auth ?? getAuth();
  const user = await getSessionUser(auth, opts.headers);
  return { db, auth, user, headers: opts.headers, log: logger, anonymousLimiter: opts.anonymousLimiter };
}

export type ProcedureMeta = { access: Access };

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
      return {
        ...shape,
        // Input errors read as sentences, not as the JSON of the zod issues.
        message: error.cause instanceof ZodError ? `Invalid input: ${describeZodError(error.cause)}` : shape.message,
        data: { ...shape.data, zodError, stack: undefined },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

function asTrpcError(err: AppError) {
  return new TRPCError({ code: errorCodes[err.code].trpc, message: err.message, cause: err });
}

/** Services throw AppError; this is the only place it becomes a TRPCError. */
const base = t.procedure.use(async ({ ctx, next, path, type }) => {
  const log = ctx.log.child({ path, type, userId: ctx.user?.id });
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
  const result = await next({ ctx: { log } });
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) throw asTrpcError(cause);
    if (result.error.code === "INTERNAL_SERVER_ERROR") log.error({ err: result.error }, "procedure failed");
  }
  return result;
});

export const publicProcedure = base.meta({ access: "public" });

/** What a user whose password was generated may still do: see who they are and choose a password. */
const beforePasswordChange = new Set(["me.get", "me.changePassword"]);

function requireRole(required: Role) {
  return base.meta({ access: required }).use(({ ctx, next, path }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    if (!roleAllows(ctx.user.role, required)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${required} role.` });
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
