// kill -9 of the web server while 50 annotators submit: every submission that was answered 200 is
// stored exactly once, none that failed is half written, and a retry with the same idempotency key
// (what the labelling page does) finishes the job once the server is back.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importJsonl } from "../import/service";
import { createTestDeps, createUser, signIn, testBaseUrl, testSecret, type TestDeps } from "../test/harness";

const annotators = 50;
const port = 54411;
const base = `http://127.0.0.1:${port}/api/trpc`;

function startServer(databaseUrl: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "server/test/http-app.ts"], {
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, BETTER_AUTH_SECRET: testSecret, APP_URL: testBaseUrl, LOG_LEVEL: "silent", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return child;
}

async function ready(child: ChildProcess) {
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes("listening")) return;
  }
  throw new Error("the test server exited before listening");
}

type Outcome = { cookie: string; key: string; assignmentId: string; responseIds: string[]; status: number | "network error"; annotationId?: string };

async function call(cookie: string, procedure: string, json: unknown): Promise<{ status: number; body: { result?: { data: { json: unknown } } } }> {
  const res = await fetch(`${base}/${procedure}`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ json }) });
  return { status: res.status, body: (await res.json()) as { result?: { data: { json: unknown } } } };
}

const labelsFor = (responseIds: string[]) => ({
  ranking: { groups: responseIds.map((id) => [id]), strengths: ["clear"] },
  promptPolicy: "allowed",
  harmCategory: null,
  rubric: {},
  flags: {},
  rationale: null,
});

describe("the web server killed mid-submit", () => {
  let deps: TestDeps;
  let server: ChildProcess | null = null;
  afterAll(async () => {
    server?.kill("SIGKILL");
    await deps.db.$disconnect();
  });
  beforeAll(() => {
    deps = createTestDeps();
  });

  it("keeps every acknowledged submission exactly once and writes no half submission", async () => {
    const project = await deps.db.project.create({ data: { name: `crash-${randomUUID()}`, k: 2, overlap: 1 } });
    async function* rows() {
      yield Array.from({ length: 2000 }, (_, i) => JSON.stringify({ prompt: `crash question ${i} ${project.id}`, responses: [`first ${i}`, `second ${i}`] })).join("\n");
    }
    await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: rows(), strict: true, filename: null, createdById: null });
    const users = await Promise.all(Array.from({ length: annotators }, () => createUser(deps, "annotator")));
    await deps.db.projectMember.createMany({ data: users.map((u) => ({ projectId: project.id, userId: u.id })) });
    const cookies = await Promise.all(users.map((u) => signIn(deps, u.email, u.password)));

    server = startServer(deps.databaseUrl);
    await ready(server);

    const outcomes: Outcome[] = [];
    let killed = false;
    let inFlight = 0;
    // Each annotator leases and submits until the server goes away under them.
    const loops = cookies.map(async (cookie) => {
      while (!killed) {
        let view: { assignmentId: string; responses: { id: string }[] } | null;
        try {
          view = (await call(cookie, "annotation.next", { projectId: project.id })).body.result?.data.json as typeof view;
        } catch {
          return;
        }
        if (!view) return;
        const outcome: Outcome = { cookie, key: randomUUID(), assignmentId: view.assignmentId, responseIds: view.responses.map((r) => r.id), status: "network error" };
        outcomes.push(outcome);
        inFlight++;
        try {
          const res = await call(cookie, "annotation.submit", { assignmentId: view.assignmentId, idempotencyKey: outcome.key, labels: labelsFor(outcome.responseIds), timeSpentMs: 1000 });
          outcome.status = res.status;
          outcome.annotationId = (res.body.result?.data.json as { result?: { annotationId: string } } | undefined)?.result?.annotationId;
        } catch {
          return;
        } finally {
          inFlight--;
        }
      }
    });
    // Let the load build up, then kill the server with submissions in flight.
    while (outcomes.filter((o) => o.status === 200).length < 150 || inFlight < 10) await new Promise((r) => setTimeout(r, 1));
    killed = true;
    server.kill("SIGKILL");
    await once(server, "exit");
    await Promise.all(loops);

    const acknowledged = outcomes.filter((o) => o.status === 200);
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.filter((o) => o.status !== "network error")).toEqual([]);
    expect(failed.length).toBeGreaterThan(0);

    // Every 200 is stored once, under its key.
    const stored = await deps.db.annotation.findMany({ where: { task: { projectId: project.id } }, select: { id: true, idempotencyKey: true, assignmentId: true, taskId: true, _count: { select: { pairs: true } } } });
    const byKey = new Map(stored.map((a) => [a.idempotencyKey, a]));
    expect(stored.length).toBe(byKey.size);
    for (const o of acknowledged) expect(byKey.get(o.key)?.id).toBe(o.annotationId);

    // Nothing half written: each annotation has its pair and a submitted lease, each submitted lease
    // an annotation, and every task's counter matches its annotations.
    expect(stored.filter((a) => a._count.pairs !== 1)).toEqual([]);
    const submitted = await deps.db.assignment.findMany({ where: { state: "submitted", task: { projectId: project.id } }, select: { id: true } });
    expect(new Set(submitted.map((a) => a.id))).toEqual(new Set(stored.map((a) => a.assignmentId)));
    const counts = await deps.db.$queryRaw<{ off: number }[]>`
      SELECT count(*)::int AS off FROM task t
      WHERE t."projectId" = ${project.id} AND t."annotationCount" <> (SELECT count(*) FROM annotation n WHERE n."taskId" = t.id AND n."reviewState" <> 'rejected')`;
    expect(counts[0]?.off).toBe(0);
    const inFlightStored = failed.filter((o) => byKey.has(o.key)).length;

    // Back up: the failed submissions, sent again with their keys, are each stored once.
    server = startServer(deps.databaseUrl);
    await ready(server);
    for (const o of failed) {
      const res = await call(o.cookie, "annotation.submit", { assignmentId: o.assignmentId, idempotencyKey: o.key, labels: labelsFor(o.responseIds), timeSpentMs: 1000 });
      expect(res.status).toBe(200);
    }
    const after = await deps.db.annotation.groupBy({ by: ["idempotencyKey"], where: { task: { projectId: project.id } }, _count: true });
    expect(after.filter((g) => g._count !== 1)).toEqual([]);
    expect(after.length).toBe(acknowledged.length + failed.length);
    console.log(
      `web crash: ${annotators} annotators, ${acknowledged.length} submissions acknowledged before kill -9, ${failed.length} in flight (${inFlightStored} of them had committed); after restart and retry: ${after.length} stored, each once`,
    );
  }, 120_000);
});
