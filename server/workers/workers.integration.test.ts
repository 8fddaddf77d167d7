import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeps, type TestDeps } from "../test/harness";
import { listWorkerStatus, registerWorker } from "./service";

describe("workers for the console", () => {
  let deps: TestDeps;
  const alive = `alive-${randomUUID()}`;
  const stale = `stale-${randomUUID()}`;
  let runningId: string;
  const now = new Date();

  beforeAll(async () => {
    deps = createTestDeps();
    await registerWorker(deps.db, { id: alive, host: "gpu-box", capabilities: { cpus: 16, memoryBytes: 128 * 2 ** 30, gpus: [{ name: "NVIDIA H100", memoryMiB: 81_559 }] } });
    await registerWorker(deps.db, { id: stale, host: "cpu-box", capabilities: { cpus: 2, memoryBytes: 4 * 2 ** 30, gpus: [] } });
    await deps.db.worker.update({ where: { id: stale }, data: { lastSeenAt: new Date(now.getTime() - 120_000) } });
    runningId = (await deps.db.job.create({ data: { kind: "train_reward", payload: {}, state: "running", workerId: alive, startedAt: now, progress: 0.25 } })).id;
    // Finished and queued jobs that name the worker are not what it runs now.
    await deps.db.job.create({ data: { kind: "train_reward", payload: {}, state: "succeeded", workerId: alive } });
    await deps.db.job.create({ data: { kind: "ping", payload: {}, state: "cancelled", workerId: stale } });
  });

  afterAll(async () => {
    await deps.db.$disconnect();
  });

  it("says which workers are alive, what they have and the job each runs now", async () => {
    const workers = await listWorkerStatus(deps.db, { timeoutSeconds: 60, now });
    const a = workers.find((w) => w.id === alive)!;
    const s = workers.find((w) => w.id === stale)!;
    expect(a).toMatchObject({ host: "gpu-box", alive: true, capabilities: { cpus: 16, gpus: [{ name: "NVIDIA H100", memoryMiB: 81_559 }] } });
    expect(a.runningJobs).toEqual([{ id: runningId, kind: "train_reward", progress: 0.25, startedAt: now }]);
    expect(s).toMatchObject({ host: "cpu-box", alive: false, capabilities: { cpus: 2, memoryBytes: 4 * 2 ** 30, gpus: [] }, runningJobs: [] });
    expect(workers.indexOf(a)).toBeLessThan(workers.indexOf(s));
    // A longer timeout counts the quiet worker as alive again.
    expect((await listWorkerStatus(deps.db, { timeoutSeconds: 600, now })).find((w) => w.id === stale)?.alive).toBe(true);
  });
});
