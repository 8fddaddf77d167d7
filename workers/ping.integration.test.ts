import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue, getJobOrThrow } from "../server/jobs/service";
import { createBoss } from "../server/queue";
import { createTestDeps, createUser, type TestDeps } from "../server/test/harness";
import { waitFor } from "./training/test-fixtures";
import { startWorker, type RunningWorker } from "./worker";

describe("job queue round trip", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  const boss = () => createBoss(deps.databaseUrl, "rlhf-test");
  let sender: ReturnType<typeof boss>;

  beforeAll(async () => {
    deps = createTestDeps();
    sender = boss();
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "test-worker", heartbeatMs: 100, pollingIntervalSeconds: 0.5 });
  });
  afterAll(async () => {
    await worker.stop();
    await sender.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("a ping job enqueued on the server is completed by a running worker, with its transitions recorded", async () => {
    const admin = await createUser(deps, "admin");
    const queued = await enqueue({ db: deps.db, boss: sender }, "ping", { message: "hello" }, { createdById: admin.id });
    expect(queued.state).toBe("queued");

    const job = await waitFor(`job ${queued.id} to finish`, () => getJobOrThrow(deps.db, queued.id), (j) => j.state === "succeeded" || j.state === "failed", 30_000);
    expect(job.state).toBe("succeeded");
    expect(job.result).toMatchObject({ reply: "pong: hello", workerId: "test-worker" });
    expect(job.workerId).toBe("test-worker");
    expect(job.attempt).toBe(1);
    expect(job.progress).toBe(1);
    expect(job.heartbeatAt).not.toBeNull();
    expect(job.events.map((e) => [e.from, e.to])).toEqual([
      [null, "queued"],
      ["queued", "running"],
      ["running", "succeeded"],
    ]);
  });

  it("rejects an invalid payload before anything is queued", async () => {
    const before = await deps.db.job.count();
    await expect(enqueue({ db: deps.db, boss: sender }, "ping", { message: "x".repeat(500) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await deps.db.job.count()).toBe(before);
  });
});
