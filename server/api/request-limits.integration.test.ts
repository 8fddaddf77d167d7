// Request sizes the tRPC route refuses with 413: batches past 20 calls and bodies past
// TRPC_MAX_BODY_MB, declared or streamed. Its own file: the route's process-wide env, database
// client and auth are set up from the stubbed environment before anything else reads them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { authRequest, createTestDeps, createUser, testBaseUrl, testSecret, type TestDeps } from "../test/harness";

describe("request size limits", () => {
  let deps: TestDeps;
  let route: typeof import("../../app/api/trpc/[trpc]/route");
  let adminCookie: string;
  beforeAll(async () => {
    deps = createTestDeps();
    vi.stubEnv("DATABASE_URL", deps.databaseUrl);
    vi.stubEnv("BETTER_AUTH_SECRET", testSecret);
    vi.stubEnv("APP_URL", testBaseUrl);
    vi.stubEnv("TRPC_MAX_BODY_MB", "1");
    route = await import("../../app/api/trpc/[trpc]/route");
    const admin = await createUser(deps, "admin");
    // Signed in through the auth the route itself uses (one per process, like the database client).
    const { getAuth } = await import("../auth");
    const res = await authRequest(getAuth(), "/sign-in/email", { email: admin.email, password: admin.password });
    expect(res.status).toBe(200);
    adminCookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await deps.db.$disconnect();
  });

  it("answers a batch of more than 20 calls with 413 and says the limit", async () => {
    const paths = Array<string>(21).fill("health.check").join(",");
    const res = await route.GET(new Request(`${testBaseUrl}/api/trpc/${paths}?batch=1&input=%7B%7D`));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { json: { message: string } } }).error.json.message).toBe("A request may batch at most 20 calls; this one has 21. Send them in several requests.");
    expect((await route.GET(new Request(`${testBaseUrl}/api/trpc/${Array<string>(20).fill("health.check").join(",")}?batch=1&input=%7B%7D`))).status).toBe(200);
  });

  it("answers a tRPC body past TRPC_MAX_BODY_MB with 413 while it streams, declared or not, and writes nothing", async () => {
    const name = `too-big-${randomUUID()}`;
    const text = JSON.stringify({ json: { name, description: "x".repeat(1024 * 1024) } });
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < text.length; i += 65536) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 65536)));
        controller.close();
      },
    });
    for (const body of [text, chunked]) {
      const res = await route.POST(new Request(`${testBaseUrl}/api/trpc/projects.create`, { method: "POST", headers: { cookie: adminCookie, "content-type": "application/json" }, body, duplex: "half" } as RequestInit));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { json: { message: string } } }).error.json.message).toMatch(/^The request body is larger than 1 MB \(TRPC_MAX_BODY_MB\)/);
    }
    expect(await deps.db.project.count({ where: { name } })).toBe(0);
    const small = await route.POST(new Request(`${testBaseUrl}/api/trpc/projects.create`, { method: "POST", headers: { cookie: adminCookie, "content-type": "application/json" }, body: JSON.stringify({ json: { name } }) }));
    expect(small.status).toBe(200);
  });
});
