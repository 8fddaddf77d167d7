// PostgreSQL stopped for 10 s under a running web server and worker: the app answers 503 with a
// message meanwhile, recovers by itself once the database is back, and the job that was running
// finishes once, neither lost nor run again (it ends while the database is down, so its result waits). Both run as processes of their own against a
// PostgreSQL this test starts and stops.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../prisma/migrate";
import { createAuth } from "../server/auth";
import { createDb, type Db } from "../server/db";
import { startEmbeddedDb, type EmbeddedDb } from "../server/dev/embedded-db";
import { enqueue, getJobOrThrow } from "../server/jobs/service";
import { createBoss } from "../server/queue";
import { authRequest, testBaseUrl, testSecret } from "../server/test/harness";
import { inviteUser } from "../server/users/service";
import { waitFor } from "./training/test-fixtures";

const pgPort = 54412;
const webPort = 54413;
const outageSeconds = 10;

function start(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  return { child, output: () => output };
}

describe("the database stopped for 10 s", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it("answers 503 meanwhile, recovers by itself, and the running job finishes once", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "rlhf-outage-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, "pg");
    let pg: EmbeddedDb = await startEmbeddedDb({ dataDir, port: pgPort, database: "outage" });
    cleanup.push(() => pg.stop());
    await applyMigrations(pg.url);

    const db: Db = createDb(pg.url);
    cleanup.push(() => db.$disconnect());
    const auth = createAuth(db, { baseURL: testBaseUrl, secret: testSecret });
    const password = "outage-admin-password";
    const { user: admin } = await inviteUser({ db, auth }, { email: "outage@test.example", name: "Outage", role: "admin", password }, null);
    const signedIn = await authRequest(auth, "/sign-in/email", { email: admin.email, password });
    const cookie = signedIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

    const env = { DATABASE_URL: pg.url, BETTER_AUTH_SECRET: testSecret, APP_URL: testBaseUrl, LOG_LEVEL: "warn", JOB_HEARTBEAT_TIMEOUT_SECONDS: "60" };
    const web = start("server/test/http-app.ts", { ...env, PORT: String(webPort) });
    cleanup.push(async () => web.child.kill("SIGKILL"));
    const worker = start("workers/index.ts", { ...env, WORKER_ID: "outage-worker" });
    cleanup.push(async () => worker.child.kill("SIGKILL"));
    const ask = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${webPort}/api/trpc/projects.all`, { headers: { cookie } });
        return { status: res.status, message: ((await res.json()) as { error?: { json: { message: string } } }).error?.json.message ?? null };
      } catch {
        return { status: 0, message: "no answer" };
      }
    };
    await waitFor("the web server", ask, (r) => r.status === 200, 30_000);

    const sender = createBoss(pg.url, "rlhf-outage-sender");
    await sender.start();
    const queued = await enqueue({ db, boss: sender }, "ping", { message: "outage", seconds: 4 }, { createdById: admin.id });
    await sender.stop({ graceful: false, wait: true });
    await waitFor("the job to run", () => getJobOrThrow(db, queued.id), (j) => j.state === "running", 30_000);

    await pg.stop();
    const stoppedAt = Date.now();
    const during: { status: number; message: string | null }[] = [];
    while (Date.now() - stoppedAt < outageSeconds * 1000) {
      during.push(await ask());
      await new Promise((r) => setTimeout(r, 500));
    }
    pg = await startEmbeddedDb({ dataDir, port: pgPort, database: "outage" });
    const restartedAt = Date.now();
    await waitFor("the app to recover", ask, (r) => r.status === 200, 30_000);
    const recoverySeconds = (Date.now() - restartedAt) / 1000;

    expect(during.length).toBeGreaterThan(5);
    expect(during.filter((r) => r.status !== 503)).toEqual([]);
    expect(new Set(during.map((r) => r.message))).toEqual(new Set(["The database is unavailable right now. Try again in a few seconds."]));
    expect(web.child.exitCode, web.output()).toBeNull();
    expect(worker.child.exitCode, worker.output()).toBeNull();

    const job = await waitFor("the job to finish", () => getJobOrThrow(db, queued.id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 60_000);
    expect(job, worker.output()).toMatchObject({ state: "succeeded", attempt: 1, workerId: "outage-worker" });
    expect(job.events.map((e) => e.to)).toEqual(["queued", "running", "succeeded"]);
    console.log(`database outage: ${during.length} calls during ${outageSeconds} s, all 503 with the message; the app answered 200 again ${recoverySeconds.toFixed(1)} s after PostgreSQL was back; the running ping job finished once (attempt 1)`);

    web.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    await Promise.all([once(web.child, "exit"), once(worker.child, "exit")]);
  }, 180_000);
});
