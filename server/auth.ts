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

type AuthOptions = { baseURL: string; secret: string; signInAttemptsPerMinute?: number; signInLimits?: Partial<SignInLimits> };

export function createAuth(db: Db, options: AuthOptions) {
  const guard = createSignInGuard(db, { ...defaultSignInLimits, ...options.signInLimits });
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
    // Accounts are created by admins (invites), never by self sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength },
    user: {
      additionalFields: {
        role: { type: "string", input: false, defaultValue: "annotator" },
        active: { type: "boolean", input: false, defaultValue: true },
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

export type Auth = ReturnType<typeof createAuth>;
export type SessionUser = Auth["$Infer"]["Session"]["user"];

const globalForAuth = globalThis as unknown as { auth?: Auth };

export function getAuth(): Auth {
  const env = getEnv();
  globalForAuth.auth ??= createAuth(getDb(), {
    baseURL: env.APP_URL,
    secret: env.BETTER_AUTH_SECRET,
    signInAttemptsPerMinute: env.AUTH_SIGNIN_ATTEMPTS_PER_MINUTE,
    signInLimits: { failuresPerAccount: env.AUTH_SIGNIN_FAILURES_PER_ACCOUNT, failuresPerAddress: env.AUTH_SIGNIN_FAILURES_PER_ADDRESS, trustedProxyHops: env.TRUSTED_PROXY_HOPS },
  });
  return globalForAuth.auth;
}
