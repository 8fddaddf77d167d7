// What a client sees when something fails that nobody wrote a message for, or when the database
// cannot be reached: a generic message with a request id (the log has the rest under that id), or
// 503 and a message. Checked through the same tRPC instance, formatter and HTTP adapter as the app.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuth } from "../auth";
import { createDb } from "../db";
import { routeErrorResponse } from "../http/errors";
import { logger } from "../logger";
import { createTestDeps, createUser, signIn, testBaseUrl, testSecret, type TestDeps } from "../test/harness";
import { appRouter } from "./root";
import { createContext, createTRPCRouter, publicProcedure } from "./trpc";

const unlimited = { consume: async () => undefined };
// A port nothing listens on: every query fails as a down database does.
const downDb = () => createDb("postgresql://postgres@127.0.0.1:9/nothing");

describe("unexpected errors and an unreachable database", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  // A procedure with a real database fault: SQL that PostgreSQL refuses.
  const faulty = createTRPCRouter({
    broken: publicProcedure.query(({ ctx }) => ctx.db.$queryRawUnsafe("SELECT no_such_column FROM project")),
  });

  async function call(router: typeof faulty | typeof appRouter, path: string, opts: { db?: TestDeps["db"]; auth?: TestDeps["auth"]; cookie?: string } = {}) {
    const req = new Request(`${testBaseUrl}/api/trpc/${path}`, { headers: opts.cookie ? { cookie: opts.cookie } : {} });
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router,
      createContext: () => createContext({ headers: req.headers, db: opts.db ?? deps.db, auth: opts.auth ?? deps.auth, anonymousLimiter: unlimited }),
    });
    return { status: res.status, body: (await res.json()) as { error: { json: { message: string; data: { requestId: string; code: string } } } } };
  }

  it("answers an unexpected error with a generic message and a request id, and logs the whole error under that id", async () => {
    const logged = vi.spyOn(logger, "error");
    try {
      const { status, body } = await call(faulty, "broken");
      expect(status).toBe(500);
      const { message, data } = body.error.json;
      expect(data.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(message).toBe(`Something went wrong on the server. It is logged as request ${data.requestId}; quote that id when you report it.`);
      expect(JSON.stringify(body)).not.toMatch(/no_such_column|SELECT|prisma|\.ts:\d|stack/i);
      const entry = logged.mock.calls.find(([fields]) => (fields as { requestId?: string }).requestId === data.requestId);
      expect(entry).toBeDefined();
      expect(String((entry![0] as { err: Error }).err.message)).toMatch(/no_such_column/);
    } finally {
      logged.mockRestore();
    }
  });

  it("answers 503 with a message when the database cannot be reached, while reading the session or in the procedure", async () => {
    const admin = await createUser(deps, "admin");
    const cookie = await signIn(deps, admin.email, admin.password);
    const db = downDb();
    try {
      // The session is read (through a working connection), then the procedure's query fails.
      const inProcedure = await call(appRouter, "projects.all", { cookie, db });
      // The session itself cannot be read.
      const inSession = await call(appRouter, "users.list", { cookie, db, auth: createAuth(db, { baseURL: testBaseUrl, secret: testSecret }) });
      for (const { status, body } of [inProcedure, inSession]) {
        expect(status).toBe(503);
        expect(body.error.json.message).toBe("The database is unavailable right now. Try again in a few seconds.");
      }
    } finally {
      await db.$disconnect();
    }
  });

  it("a route handler's unexpected error and unreachable database read the same", async () => {
    const req = new Request(`${testBaseUrl}/api/v1/projects/x/export`);
    const fault = routeErrorResponse(new Error("relation \"secret_table\" does not exist at /srv/app/server/x.ts:12"), req);
    expect(fault.status).toBe(500);
    const body = (await fault.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("INTERNAL");
    expect(body.error.message).toContain(body.error.requestId);
    expect(JSON.stringify(body)).not.toMatch(/secret_table|\/srv\//);
    expect(fault.headers.get("x-request-id")).toBe(body.error.requestId);

    const db = downDb();
    try {
      const err = await db.project.count().then(
        () => null,
        (e: unknown) => e,
      );
      const down = routeErrorResponse(err, req);
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("5");
      expect(((await down.json()) as { error: { message: string } }).error.message).toBe("The database is unavailable right now. Try again in a few seconds.");
    } finally {
      await db.$disconnect();
    }
  });
});
