import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { getDb, type Db } from "./db";
import { getEnv } from "./env";

/** ASVS 2.1.1: at least 12 characters. */
export const minPasswordLength = 12;

type AuthOptions = { baseURL: string; secret: string; signInAttemptsPerMinute?: number };

export function createAuth(db: Db, options: AuthOptions) {
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
  });
  return globalForAuth.auth;
}
