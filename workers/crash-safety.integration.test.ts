// Several workers on one database: a job is claimed once per attempt, a silent worker's job is
// taken back, and GPU jobs go only to workers that have GPUs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue, getJobOrThrow, markRunning, requeueStaleJobs, resendLostMessages } from "../server/jobs/service";
import { createBoss } from "../server/queue";
import { createTestDeps, type TestDeps } from "../server/test/harness";
import { waitFor } from "./training/test-fixtures";
import { startWorker, type RunningWorker } from "./worker";

const cpuOnly = { cpus: 2, memoryBytes: 4 * 2 ** 30, gpus: [] };
const oneGpu = { cpus: 2, memoryBytes: 4 * 2 ** 30, gpus: [{ name: "Test GPU", memoryMiB: 1024 }] };

describe("several workers, one database", () => {
  let deps: TestDeps;
  let sender: ReturnType<typeof createBoss>;
  let workers: RunningWorker[] = [];
  const terminal = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 30_000);

  beforeAll(async () => {
    deps = createTestDeps();
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    // The workers' own sweepers wait an hour for a heartbeat, so the jobs the test makes silent are
    // taken back by the test's sweepers alone (a race with the workers' would decide who reports them).
    const common = { databaseUrl: deps.databaseUrl, heartbeatMs: 100, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 3600 };
    workers = [await startWorker({ ...common, workerId: "cpu-worker", capabilities: cpuOnly }), await startWorker({ ...common, workerId: "gpu-worker", capabilities: oneGpu })];
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await sender.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("each worker advertises what it can run", async () => {
    const rows = await deps.db.worker.findMany({ where: { id: { in: ["cpu-worker", "gpu-worker"] } }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.id, r.capabilities])).toEqual([
      ["cpu-worker", cpuOnly],
      ["gpu-worker", oneGpu],
    ]);
    const before = rows[0]!.lastSeenAt;
    await waitFor("a newer heartbeat", () => deps.db.worker.findUniqueOrThrow({ where: { id: "cpu-worker" } }), (w) => w.lastSeenAt > before, 30_000);
  });

  it("runs every job exactly once when two workers share the queue", async () => {
    const queued = await Promise.all(Array.from({ length: 8 }, (_, i) => enqueue({ db: deps.db, boss: sender }, "ping", { message: `m${i}` })));
    const jobs = await Promise.all(queued.map((q) => terminal(q.id)));
    for (const job of jobs) {
      expect(job.state).toBe("succeeded");
      expect(job.attempt).toBe(1);
      expect(job.events.map((e) => e.to)).toEqual(["queued", "running", "succeeded"]);
      // The worker that claimed it is the one that finished it.
      expect(job.events[2]?.workerId).toBe(job.events[1]?.workerId);
    }
  });

  it("sends a job that needs a GPU only to a worker that has one", async () => {
    const queued = await Promise.all(Array.from({ length: 4 }, () => enqueue({ db: deps.db, boss: sender }, "ping", { message: "gpu" }, { gpus: 1 })));
    for (const q of queued) {
      const job = await terminal(q.id);
      expect(job).toMatchObject({ state: "succeeded", gpus: 1, workerId: "gpu-worker" });
    }
    await expect(enqueue({ db: deps.db, boss: sender }, "ping", {}, { gpus: -1 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("claims a queued job once, however many messages race for it, and only through its current message", async () => {
    const job = await deps.db.job.create({ data: { kind: "stale-test", payload: {}, bossJobId: "current" } });
    expect(await markRunning(deps.db, job.id, "w-old", "stale-message")).toBeNull();
    const claims = await Promise.all(["w1", "w2", "w3", "w4"].map((w) => markRunning(deps.db, job.id, w, "current")));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const events = await deps.db.jobEvent.findMany({ where: { jobId: job.id } });
    expect(events.map((e) => e.to)).toEqual(["running"]);
  });

  it("takes back a job whose worker went silent, once even when sweepers race, and fails it when attempts are used up", async () => {
    const old = new Date(Date.now() - 120_000);
    const running = { kind: "ping", payload: { message: "lost" }, state: "running" as const, workerId: "dead-worker", heartbeatAt: old, bossJobId: crypto.randomUUID() };
    const again = await deps.db.job.create({ data: { ...running, attempt: 1, maxAttempts: 2 } });
    const spent = await deps.db.job.create({ data: { ...running, attempt: 2, maxAttempts: 2 } });
    const swept = (await Promise.all([1, 2, 3].map(() => requeueStaleJobs({ db: deps.db, boss: sender }, { timeoutSeconds: 60 })))).flat();
    // Each taken back exactly once over the three racing sweepers (other files' jobs are ignored).
    const ours = new Set([again.id, spent.id]);
    expect(swept.map((s) => s.id).filter((id) => ours.has(id)).sort()).toEqual([again.id, spent.id].sort());

    const failed = await getJobOrThrow(deps.db, spent.id);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/The worker dead-worker stopped responding \(no heartbeat for 60 s\); no attempts left/);
    expect(failed.events.map((e) => [e.from, e.to])).toEqual([["running", "failed"]]);

    // The fresh message is delivered to a live worker, which runs the second attempt.
    const done = await terminal(again.id);
    expect(done).toMatchObject({ state: "succeeded", attempt: 2 });
    expect(done.events.map((e) => e.to)).toEqual(["queued", "running", "succeeded"]);
    expect(done.events[0]?.message).toMatch(/dead-worker stopped responding.*queued again/);
  });

  it("sends again, once, the message of a queued job whose sender died before sending it", async () => {
    const messages = (bossJobId: string) => deps.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE id::text = ${bossJobId}`.then((r) => r[0]!.n);
    const queued = { kind: "ping", payload: { message: "lost" }, maxAttempts: 2 };
    // The row names a message that was never sent (the process died between the two steps).
    const lost = await deps.db.job.create({ data: { ...queued, bossJobId: crypto.randomUUID(), events: { create: { to: "queued" } } } });
    // One whose message waits in the queue (until an hour from now).
    const waiting = await deps.db.job.create({ data: { ...queued, bossJobId: crypto.randomUUID() } });
    await sender.send("ping", { jobId: waiting.id }, { id: waiting.bossJobId!, startAfter: 3600 });
    try {
      // The grace period (not over for any of them here) leaves a send in progress alone.
      expect((await resendLostMessages({ db: deps.db, boss: sender })).map((j) => j.id)).not.toContain(lost.id);

      // Sweepers racing (grace 0 stands for "30 s later"): the lost job's message is sent once.
      await new Promise((r) => setTimeout(r, 50));
      const resent = (await Promise.all([1, 2, 3].map(() => resendLostMessages({ db: deps.db, boss: sender }, { graceSeconds: 0 })))).flat();
      expect(resent.filter((j) => j.id === lost.id && j.sent)).toHaveLength(1);
      expect(resent.map((j) => j.id)).not.toContain(waiting.id);
      expect(await messages(waiting.bossJobId!)).toBe(1);

      const done = await terminal(lost.id);
      expect(done).toMatchObject({ state: "succeeded", attempt: 1, result: { reply: "pong: lost" } });
      expect(done.events.map((e) => e.to)).toEqual(["queued", "running", "succeeded"]);
      expect(await messages(lost.bossJobId!)).toBe(1);
    } finally {
      await sender.cancel("ping", waiting.bossJobId!);
      await deps.db.job.delete({ where: { id: waiting.id } });
    }
  });

  it("gives a queued job a new message when its message ended, or was fetched by a worker that died before claiming it", async () => {
    // A worker fetched each message and died before claiming the job: one message then failed,
    // the other is still active (pg-boss would only expire it hours later).
    const cases = [
      { message: "ended", crash: (id: string) => sender.fail("ping", id) },
      { message: "fetched", crash: (id: string) => deps.db.$executeRaw`UPDATE pgboss.job SET state = 'active', started_on = now() - interval '4 seconds' WHERE id::text = ${id}` },
    ];
    for (const { message, crash } of cases) {
      const bossJobId = crypto.randomUUID();
      // Queued 20 s ago: old enough for the short grace periods below, too young for the workers'
      // own sweepers (30 s), which would otherwise race this test's calls.
      const queuedAt = new Date(Date.now() - 20_000);
      const job = await deps.db.job.create({ data: { kind: "ping", payload: { message }, maxAttempts: 2, bossJobId, createdAt: queuedAt, events: { create: { to: "queued", at: queuedAt } } } });
      await sender.send("ping", { jobId: job.id }, { id: bossJobId, startAfter: 3600, retryLimit: 0 });
      await crash(bossJobId);
      // Within the grace period a fetched message counts as being claimed.
      if (message === "fetched") expect((await resendLostMessages({ db: deps.db, boss: sender }, { graceSeconds: 12 })).map((j) => j.id)).not.toContain(job.id);
      const [found] = (await resendLostMessages({ db: deps.db, boss: sender }, { graceSeconds: 2 })).filter((j) => j.id === job.id);
      expect(found, message).toMatchObject({ sent: true });
      expect(found!.bossJobId).not.toBe(bossJobId);
      const done = await terminal(job.id);
      expect(done).toMatchObject({ state: "succeeded", attempt: 1, result: { reply: `pong: ${message}` } });
    }
  });
});
