import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnonymousLimiter, type AnonymousLimiter } from "../api/anonymous-limit";
import { maxTrpcBatchSize } from "../api/limits";
import { appRouter } from "../api/root";
import { createContext } from "../api/trpc";
import { createAuth, type Auth } from "../auth";
import { authRequest, callerFor, createTestDeps, createUser, signIn, testBaseUrl, testSecret, type TestDeps } from "../test/harness";
import { clientAddress } from "./sign-in-guard";

/** A sign-in with a forwarded-for header, as it arrives through proxies. */
function signInFrom(auth: Auth, forwardedFor: string, body: { email: string; password: string }) {
  return auth.handler(
    new Request(`${testBaseUrl}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: testBaseUrl, "x-forwarded-for": forwardedFor },
      body: JSON.stringify(body),
    }),
  );
}

describe("sign-in", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("signs in with the right password and the session identifies the user and role", async () => {
    const u = await createUser(deps, "reviewer");
    const cookie = await signIn(deps, u.email, u.password);
    const me = await (await callerFor(deps, cookie)).me.get();
    expect(me).toMatchObject({ id: u.id, email: u.email, role: "reviewer" });
  });

  it("rejects a wrong password with 401, a message, and no session cookie", async () => {
    const u = await createUser(deps, "annotator");
    const res = await authRequest(deps.auth, "/sign-in/email", { email: u.email, password: "not-the-password" });
    expect(res.status).toBe(401);
    expect((await res.json()).message).toMatch(/invalid email or password/i);
    expect(res.headers.getSetCookie().some((c) => c.includes("session_token"))).toBe(false);
    expect(await deps.db.session.count({ where: { userId: u.id } })).toBe(0);
  });

  it("answers malformed sign-in bodies with 400 and a message, never 500", async () => {
    const cases = [
      authRequest(deps.auth, "/sign-in/email", null, { rawBody: "{not json" }),
      authRequest(deps.auth, "/sign-in/email", { email: 42 }),
      authRequest(deps.auth, "/sign-in/email", { email: "a@b.c" }),
      authRequest(deps.auth, "/sign-in/email", []),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(400);
      expect(String((await res.json()).message).length).toBeGreaterThan(0);
    }
  });

  it("has no public sign-up: accounts come only from admin invites", async () => {
    const res = await authRequest(deps.auth, "/sign-up/email", { email: "self@test.example", password: "long-enough-pw", name: "Self" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await deps.db.user.count({ where: { email: "self@test.example" } })).toBe(0);
  });

  it("deactivation ends the user's sessions and blocks signing in again; reactivation restores it", async () => {
    const admin = await createUser(deps, "admin");
    const target = await createUser(deps, "annotator");
    const adminCaller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const targetCookie = await signIn(deps, target.email, target.password);

    await adminCaller.users.deactivate({ userId: target.id });
    await expect((await callerFor(deps, targetCookie)).me.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const again = await authRequest(deps.auth, "/sign-in/email", { email: target.email, password: target.password });
    expect(again.status).toBe(403);
    expect((await again.json()).message).toMatch(/deactivated/);
    expect(await deps.db.session.count({ where: { userId: target.id } })).toBe(0);
    // Before the password is right, a deactivated account answers like any other: nothing says the email exists.
    for (const email of [target.email, "nobody-here@test.example"]) {
      const wrong = await authRequest(deps.auth, "/sign-in/email", { email, password: "wrong-password-1234" });
      expect(wrong.status, email).toBe(401);
      expect((await wrong.json()).message).toMatch(/invalid email or password/i);
    }

    await adminCaller.users.reactivate({ userId: target.id });
    await expect(signIn(deps, target.email, target.password)).resolves.toContain("session_token");
    const audit = await deps.db.auditLog.findMany({ where: { target: `user:${target.id}` }, orderBy: { at: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["user.invite", "user.deactivate", "user.reactivate"]);
  });

  it("refuses a password shorter than 12 characters (ASVS 2.1.1)", async () => {
    const admin = await createUser(deps, "admin");
    const adminCaller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const email = `short-${Date.now()}@test.example`;
    await expect(adminCaller.users.invite({ email, name: "Short", role: "annotator", password: "elevenchars" })).rejects.toMatchObject({ message: expect.stringMatching(/at least 12 characters/) });
    expect(await deps.db.user.count({ where: { email } })).toBe(0);
    const ok = await adminCaller.users.invite({ email, name: "Long", role: "annotator", password: "twelve-chars" });
    expect(ok.user.email).toBe(email);
  });

  it("a user whose password was generated must choose their own before anything else", async () => {
    const admin = await createUser(deps, "admin");
    const adminCaller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const email = `first-${Date.now()}@test.example`;
    const { generatedPassword } = await adminCaller.users.invite({ email, name: "First", role: "reviewer" });
    const elsewhere = await signIn(deps, email, generatedPassword!);
    const cookie = await signIn(deps, email, generatedPassword!);
    const caller = await callerFor(deps, cookie);
    await expect(caller.me.get()).resolves.toMatchObject({ email, mustChangePassword: true });
    await expect(caller.projects.list()).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/Choose your own password first/) });
    await expect(caller.me.changePassword({ currentPassword: "not-the-password", newPassword: "brand-new-password" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: "The current password is not right" });
    await expect(caller.me.changePassword({ currentPassword: generatedPassword!, newPassword: "short" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await caller.me.changePassword({ currentPassword: generatedPassword!, newPassword: "brand-new-password" });
    const after = await callerFor(deps, cookie);
    await expect(after.me.get()).resolves.toMatchObject({ mustChangePassword: false });
    await expect(after.projects.list()).resolves.toBeDefined();
    // The other session, opened with the old password, has ended.
    await expect((await callerFor(deps, elsewhere)).me.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect((await authRequest(deps.auth, "/sign-in/email", { email, password: generatedPassword! })).status).toBe(401);
    await expect(signIn(deps, email, "brand-new-password")).resolves.toContain("session_token");
    // A password the admin chose is theirs to pass on: no change is forced.
    const chosen = `chosen-${Date.now()}@test.example`;
    await adminCaller.users.invite({ email: chosen, name: "Chosen", role: "annotator", password: "admin-chosen-password" });
    await expect((await callerFor(deps, await signIn(deps, chosen, "admin-chosen-password"))).projects.list()).resolves.toBeDefined();
  });

  it("an admin invites a user who can then sign in with the generated password", async () => {
    const admin = await createUser(deps, "admin");
    const adminCaller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const email = `invited-${Date.now()}@test.example`;
    const res = await adminCaller.users.invite({ email, name: "Invited", role: "annotator" });
    expect(res.generatedPassword).toBeTruthy();
    const me = await (await callerFor(deps, await signIn(deps, email, res.generatedPassword!))).me.get();
    expect(me.role).toBe("annotator");
    await expect(adminCaller.users.invite({ email, name: "Twice", role: "annotator" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(adminCaller.users.deactivate({ userId: admin.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("tRPC over HTTP with bad input", () => {
  let deps: TestDeps;
  let adminCookie: string;
  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    adminCookie = await signIn(deps, admin.email, admin.password);
  });
  afterAll(() => deps.db.$disconnect());

  function call(path: string, init: { method?: string; body?: string; cookie?: string } = {}) {
    const req = new Request(`${testBaseUrl}/api/trpc/${path}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", ...(init.cookie ? { cookie: init.cookie } : {}) },
      body: init.body,
    });
    return fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: () => createContext({ headers: req.headers, db: deps.db, auth: deps.auth }),
    });
  }

  async function errorOf(res: Response) {
    const body = await res.json();
    return body.error.json as { message: string; data: { code: string; zodError: unknown } };
  }

  it("answers invalid procedure input with 400 and field messages", async () => {
    const res = await call("users.invite", { body: JSON.stringify({ json: { email: "nope", role: "boss" } }), cookie: adminCookie });
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.message).toMatch(/email: Enter a valid email address/);
    expect(err.data.zodError).toMatchObject({ fieldErrors: { email: expect.any(Array), role: expect.any(Array), name: expect.any(Array) } });
  });

  it("answers unparseable bodies, unknown procedures and wrong methods with 4xx", async () => {
    const bad = await call("users.invite", { body: "{oops", cookie: adminCookie });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message.length).toBeGreaterThan(0);
    expect((await call("no.suchProcedure", { body: "{}" })).status).toBe(404);
    expect((await call("users.invite", { method: "GET", cookie: adminCookie })).status).toBe(405);
    expect((await call("jobs.get?input=" + encodeURIComponent(JSON.stringify({ json: { id: "x" } })), { method: "GET", cookie: adminCookie })).status).toBe(400);
  });

  it("answers a missing session with 401 and a wrong role with 403", async () => {
    expect((await call("users.list", { method: "GET" })).status).toBe(401);
    const annotator = await createUser(deps, "annotator");
    const cookie = await signIn(deps, annotator.email, annotator.password);
    const res = await call("users.list", { method: "GET", cookie });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/reviewer role/);
  });

  it("locks an account after 10 wrong passwords, whatever X-Forwarded-For each attempt claims", async () => {
    const victim = await createUser(deps, "admin");
    const bystander = await createUser(deps, "annotator");
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await signInFrom(deps.auth, `10.0.${Math.floor(i / 250)}.${i % 250}`, { email: victim.email, password: `guess-number-${i}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(40).fill(429));
    // Locked: even the right password waits, with a message and a Retry-After; nobody else is affected.
    const locked = await signInFrom(deps.auth, "10.9.9.9", { email: victim.email, password: victim.password });
    expect(locked.status).toBe(429);
    expect((await locked.json()).message).toMatch(/Too many failed sign-ins; try again in \d+ minutes/);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await deps.db.session.count({ where: { userId: victim.id } })).toBe(0);
    await expect(signIn(deps, bystander.email, bystander.password)).resolves.toContain("session_token");
    // The count lives in PostgreSQL: another server process (another auth instance) sees the lock.
    const otherProcess = createAuth(deps.db, { baseURL: testBaseUrl, secret: testSecret });
    expect((await signInFrom(otherProcess, "10.8.8.8", { email: victim.email, password: victim.password })).status).toBe(429);
  });

  it("a right password clears the account's count of failures", async () => {
    const u = await createUser(deps, "annotator");
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) expect((await signInFrom(deps.auth, "10.1.1.1", { email: u.email, password: `wrong-${round}-${i}-xx` })).status).toBe(401);
      expect((await signInFrom(deps.auth, "10.1.1.1", { email: u.email, password: u.password })).status).toBe(200);
    }
  });

  it("counts failures per client address only through the trusted proxies' entries", async () => {
    const auth = createAuth(deps.db, { baseURL: testBaseUrl, secret: testSecret, signInLimits: { trustedProxyHops: 1, failuresPerAddress: 5 } });
    const users = await Promise.all(Array.from({ length: 7 }, () => createUser(deps, "annotator")));
    // The client varies the part it controls (the left); the proxy's entry (the right) stays its real address.
    const statuses = [];
    for (const [i, u] of users.entries()) statuses.push((await signInFrom(auth, `1.2.3.${i}, 203.0.113.7`, { email: u.email, password: "not-their-password" })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Another client address is not affected.
    expect((await signInFrom(auth, "203.0.113.8", { email: users[6]!.email, password: users[6]!.password })).status).toBe(200);
  });
});

describe("calls without a session", () => {
  let deps: TestDeps;
  let adminCookie: string;
  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    adminCookie = await signIn(deps, admin.email, admin.password);
  });
  afterAll(() => deps.db.$disconnect());

  /** One GET batching `calls` procedure calls, through the same handler options as the route. */
  async function batch(limiter: AnonymousLimiter, paths: string[], headers: Record<string, string> = {}) {
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(paths.map((_, i) => [i, { json: null }]))));
    const req = new Request(`${testBaseUrl}/api/trpc/${paths.join(",")}?batch=1&input=${input}`, { headers });
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      maxBatchSize: maxTrpcBatchSize,
      createContext: () => createContext({ headers: req.headers, db: deps.db, auth: deps.auth, anonymousLimiter: limiter }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { json: { message: string; data: { httpStatus: number } } } }[];
    return body.map((b) => (b.error ? b.error.json.data.httpStatus : 200));
  }
  const healthChecks = (n: number) => Array<string>(n).fill("health.check");

  it("spends one of the address's budget per batched call and answers 429 past it", async () => {
    const limiter = createAnonymousLimiter({ callsPerMinute: 30, trustedProxyHops: 1 });
    const from = (address: string) => ({ "x-forwarded-for": address });
    expect(await batch(limiter, healthChecks(20), from("203.0.113.1"))).toEqual(Array(20).fill(200));
    expect(await batch(limiter, healthChecks(20), from("203.0.113.1"))).toEqual([...Array(10).fill(200), ...Array(10).fill(429)]);
    // Another client address behind the trusted proxy has its own budget.
    expect(await batch(limiter, healthChecks(1), from("203.0.113.2"))).toEqual([200]);
    // A client cannot buy a new budget by prepending addresses the trusted proxy did not add.
    expect(await batch(limiter, healthChecks(1), from("198.51.100.7, 203.0.113.1"))).toEqual([429]);
    // A signed-in user is not counted.
    expect(await batch(limiter, ["users.list", "health.check"], { ...from("203.0.113.1"), cookie: adminCookie })).toEqual([200, 200]);
  });

  it("with no trusted proxy, every anonymous caller shares one budget, whatever X-Forwarded-For says", async () => {
    const limiter = createAnonymousLimiter({ callsPerMinute: 5, trustedProxyHops: 0 });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(...(await batch(limiter, ["health.check"], { "x-forwarded-for": `10.1.0.${i}` })));
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(3).fill(429)]);
    const caller = await callerFor(deps, null, { anonymousLimiter: limiter });
    await expect(caller.health.check()).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS", message: expect.stringMatching(/^Too many calls without signing in \(ANONYMOUS_CALLS_PER_MINUTE\); try again in \d+ s, or sign in$/) });
  });
});

describe("session lifetimes", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("ends a session that was not used for the idle time, and any session once the absolute lifetime has passed", async () => {
    const u = await createUser(deps, "annotator");
    const cookie = await signIn(deps, u.email, u.password);
    const [session] = await deps.db.session.findMany({ where: { userId: u.id } });
    // Idle: 12 hours by default from the last use.
    expect(session!.expiresAt.getTime() - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(session!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
    await expect((await callerFor(deps, cookie)).me.get()).resolves.toMatchObject({ id: u.id });

    // Absolute: 7 days after sign-in the session ends however recently it was used, and is removed.
    await deps.db.session.update({ where: { id: session!.id }, data: { createdAt: new Date(Date.now() - 7 * 24 * 3600_000 - 60_000) } });
    await expect((await callerFor(deps, cookie)).me.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect(await deps.db.session.count({ where: { id: session!.id } })).toBe(0);

    // Both are settings.
    const short = createAuth(deps.db, { baseURL: testBaseUrl, secret: testSecret, sessions: { idleSeconds: 600, absoluteSeconds: 3600 } });
    const res = await authRequest(short, "/sign-in/email", { email: u.email, password: u.password });
    expect(res.status).toBe(200);
    const fresh = await deps.db.session.findFirstOrThrow({ where: { userId: u.id }, orderBy: { createdAt: "desc" } });
    expect(Math.round((fresh.expiresAt.getTime() - fresh.createdAt.getTime()) / 1000)).toBe(600);
  });
});

describe("clientAddress", () => {
  it("trusts only the entries the app's own proxies appended", () => {
    const h = (v: string) => new Headers({ "x-forwarded-for": v });
    expect(clientAddress(h("6.6.6.6, 203.0.113.7"), 0)).toBeNull();
    expect(clientAddress(h("6.6.6.6, 203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress(h("6.6.6.6, 203.0.113.7, 10.0.0.2"), 2)).toBe("203.0.113.7");
    expect(clientAddress(h("203.0.113.7"), 2)).toBeNull();
    expect(clientAddress(new Headers(), 1)).toBeNull();
  });
});
