// Helpers for integration tests: real database, real better-auth, sessions made by signing in.
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createCaller } from "../api/root";
import type { AnonymousLimiter } from "../api/anonymous-limit";
import { createContext } from "../api/trpc";
import { createAuth, type Auth } from "../auth";
import { createDb, type Db } from "../db";
import type { Role } from "../users/roles";
import { inviteUser } from "../users/service";

export const testBaseUrl = "http://localhost:3000";
export const testSecret = "integration-tests-secret-0123456789abcdef";

export type TestDeps = { db: Db; auth: Auth; databaseUrl: string };

export function createTestDeps(): TestDeps {
  const databaseUrl = inject("databaseUrl");
  const db = createDb(databaseUrl);
  return { db, auth: createAuth(db, { baseURL: testBaseUrl, secret: testSecret }), databaseUrl };
}

/** Calls better-auth's real HTTP handler, as the browser would. */
export function authRequest(auth: Auth, path: string, body: unknown, init: { rawBody?: string } = {}) {
  return auth.handler(
    new Request(`${testBaseUrl}/api/auth${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: testBaseUrl },
      body: init.rawBody ?? JSON.stringify(body),
    }),
  );
}

export async function createUser(deps: TestDeps, role: Role) {
  const email = `${role}-${randomUUID().slice(0, 8)}@test.example`;
  const password = `pw-${randomUUID()}`;
  const { user } = await inviteUser(deps, { email, name: `Test ${role}`, role, password }, null);
  return { ...user, password };
}

/** Signs in through the auth handler and returns the session cookie header. */
export async function signIn(deps: TestDeps, email: string, password: string): Promise<string> {
  const res = await authRequest(deps.auth, "/sign-in/email", { email, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** Anonymous callers of the tests share no budget with each other or with other test files. */
const unlimitedAnonymous = { consume: async () => undefined };

export async function callerFor(deps: TestDeps, cookie: string | null, opts: { anonymousLimiter?: AnonymousLimiter; headers?: HeadersInit } = {}) {
  const headers = new Headers(opts.headers);
  if (cookie) headers.set("cookie", cookie);
  return createCaller(await createContext({ headers, db: deps.db, auth: deps.auth, anonymousLimiter: opts.anonymousLimiter ?? unlimitedAnonymous }));
}
