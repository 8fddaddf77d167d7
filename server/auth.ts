import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { getDb, type Db } from "./db";
import { getEnv } from "./env";
import { logger } from "./logger";
import { createSignInGuard, defaultSignInLimits, SignInLocked, type SignInLimits } from "./users/sign-in-guard";

/** ASVS 2.1.1: at least 12 characters. */
export const minPasswordLength = 12;

export type SessionLifetimes = {
  /** A session unused this long ends (each use pushes its end back). */
  idleSeconds: number;
  /** A session ends this long after sign-in, however much it is used. */
  absoluteSeconds: number;
};
export const defaultSessionLifetimes: SessionLifetimes = { idleSeconds: 12 * 3600, absoluteSeconds: 7 * 24 * 3600 };

type AuthOptions = { baseURL: string; secret: string; signInAttemptsPerMinute?: number; signInLimits?: Partial<SignInLimits>; sessions?: Partial<SessionLifetimes> };

/** Each auth instance's session lifetimes, for the session check (getSessionUser) to enforce the absolute one. */
export const sessionLifetimesOf = new WeakMap<object, SessionLifetimes>();

export function createAuth(db: Db, options: AuthOptions) {
  const guard = createSignInGuard(db, { ...defaultSignInLimits, ...options.signInLimits });
  const lifetimes = { ...defaultSessionLifetimes, ...options.sessions };
  const auth = betterAuthFor(db, options, guard, lifetimes);
  sessionLifetimesOf.set(auth, lifetimes);
  return auth;
}

function betterAuthFor(db: Db, options: AuthOptions, guard: ReturnType<typeof createSignInGuard>, lifetimes: SessionLifetimes) {
  const emailOf = (body: unknown) => (body && typeof body === "object" && typeof (body as { email?: unknown }).email === "string" ? (body as { email: string }).email : null);
  return betterAuth({
    baseURL: options.baseURL,
    secret: options.secret,
    // Per client IP, in production only (better-auth's default); sign-in is the brute-force target.
    rateLimit: {
      window: 60,
      max: 300,
      customRules: { "/sign-in/email": { window: 60, max: options.signInAttemptsPerMinute ?? 10 } },
    },
    database: prismaAdapter(db, { provider: "postgresql" }),
    // Idle lifetime: the session's end moves on with use (at most every few minutes); the absolute
    // lifetime is enforced where sessions are read (getSessionUser).
    session: { expiresIn: lifetimes.idleSeconds, updateAge: Math.min(300, Math.floor(lifetimes.idleSeconds / 4)) },
    // Accounts are created by admins (invites), never by self sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength },
    user: {
      additionalFields: {
        role: { type: "string", input: false, defaultValue: "annotator" },
        active: { type: "boolean", input: false, defaultValue: true },
        mustChangePassword: { type: "boolean", input: false, defaultValue: false },
        redTeamer: { type: "boolean", input: false, defaultValue: false },
      },
    },
    // Failed sign-ins are counted per account and per trusted client address (sign-in-guard.ts).
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        const email = ctx.path === "/sign-in/email" ? emailOf(ctx.body) : null;
        if (!email) return;
        try {
          await guard.check(email, ctx.headers);
        } catch (err) {
          if (!(err instanceof SignInLocked)) throw err;
          logger.warn({ event: "sign-in", outcome: "locked", email: email.toLowerCase() }, "sign-in refused: too many failures");
          throw new APIError("TOO_MANY_REQUESTS", { message: err.message }, { "Retry-After": String(Math.ceil(err.retryAfterSeconds)) });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const email = ctx.path === "/sign-in/email" ? emailOf(ctx.body) : null;
        if (!email) return;
        const returned = ctx.context.returned;
        const status = returned instanceof APIError ? returned.statusCode : 200;
        // Logged without the password, and without telling the client anything new.
        logger.info({ event: "sign-in", outcome: status === 200 ? "success" : status === 401 ? "wrong-password" : `refused-${status}`, email: email.toLowerCase() }, "sign-in");
        if (status === 401) await guard.failed(email, ctx.headers);
        else if (status === 200) await guard.succeeded(email, ctx.headers);
      }),
    },
    // Checked when the session is about to be created, i.e. after the password: a wrong password
    // gets the same answer for an active, a deactivated and an unknown account, so the message
    // never tells a stranger that an email exists.
    databaseHooks: {
      session: {
        create: {
          before: async (session) => {
            const user = await db.user.findUnique({ where: { id: session.userId }, select: { active: true } });
            if (user && !user.active) throw new APIError("FORBIDDEN", { message: "This account has been deactivated. Ask an admin to reactivate it." });
          },
        },
      },
    },
    plugins: [nextCookies()],
  });
}

export type Auth = ReturnType<typeof betterAuthFor>;
export type SessionUser = Auth["$Infer"]["Session"]["user"];

const globalForAuth = globalThis as unknown as { auth?: Auth };

export function getAuth(): Auth {
  const env = getEnv();
  globalForAuth.auth ??= createAuth(getDb(), {
    baseURL: env.APP_URL,
    secret: env.BETTER_AUTH_SECRET,
    signInAttemptsPerMinute: env.AUTH_SIGNIN_ATTEMPTS_PER_MINUTE,
    signInLimits: { failuresPerAccount: env.AUTH_SIGNIN_FAILURES_PER_ACCOUNT, failuresPerAddress: env.AUTH_SIGNIN_FAILURES_PER_ADDRESS, trustedProxyHops: env.TRUSTED_PROXY_HOPS },
    sessions: { idleSeconds: env.SESSION_IDLE_HOURS * 3600, absoluteSeconds: env.SESSION_ABSOLUTE_HOURS * 3600 },
  });
  return globalForAuth.auth;
}
