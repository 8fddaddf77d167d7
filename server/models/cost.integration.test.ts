import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { runHours } from "./cost";

const hour = 3_600_000;
const t0 = new Date("2026-11-01T00:00:00Z").getTime();
const at = (hours: number) => new Date(t0 + hours * hour);

describe("what a model version cost", () => {
  let deps: TestDeps;
  let cookie: string;
  let annotatorId: string;

  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    cookie = await signIn(deps, admin.email, admin.password);
    annotatorId = (await createUser(deps, "annotator")).id;
  });
  afterAll(() => deps.db.$disconnect());

  /** A task with one annotation made at `createdAt` that took `minutes`. */
  async function annotate(projectId: string, createdAt: Date, minutes: number | null, promptPolicy: "allowed" | "disallowed" = "allowed") {
    const text = randomUUID();
    const prompt = await deps.db.prompt.create({
      data: { projectId, messages: [{ role: "user", content: text }], contentHash: createHash("sha256").update(text).digest("hex") },
      select: { id: true },
    });
    const task = await deps.db.task.create({ data: { projectId, promptId: prompt.id, contentHash: text, annotationCount: 1 }, select: { id: true } });
    await deps.db.annotation.create({ data: { taskId: task.id, annotatorId, ranking: [], shownOrder: [], strengths: [], promptPolicy, timeSpentMs: minutes === null ? null : minutes * 60_000, createdAt } });
  }

  async function job(kind: string, gpus: number, spans: [number, number][]) {
    const row = await deps.db.job.create({ data: { kind, payload: {}, state: "succeeded", gpus, startedAt: at(spans[0]![0]), finishedAt: at(spans.at(-1)![1]) }, select: { id: true } });
    // One attempt per span: queued → running → (failed and re-queued | succeeded).
    for (const [i, [start, end]] of spans.entries()) {
      await deps.db.jobEvent.create({ data: { jobId: row.id, from: "queued", to: "running", at: at(start) } });
      await deps.db.jobEvent.create({ data: { jobId: row.id, from: "running", to: i === spans.length - 1 ? "succeeded" : "queued", at: at(end) } });
    }
    return row.id;
  }

  it("sums labels and device-hours along the lineage, counting a shared ancestor and shared annotations once", async () => {
    const db = deps.db;
    const projectId = (await db.project.create({ data: { name: `cost-${randomUUID()}` }, select: { id: true } })).id;
    // Three annotations before the first snapshot (10 + 20 min, one untimed), two more before the second (30 + 60 min), one after both.
    await annotate(projectId, at(0), 10);
    await annotate(projectId, at(0), 20, "disallowed");
    await annotate(projectId, at(0), null);
    const snapshot = (createdAt: Date, filter: object) =>
      db.snapshot.create({ data: { projectId, format: "rankings", aggregate: "raw", filter, rowCount: 0, bytes: 0, sha256: "x", schemaVersion: 2, path: "x", createdAt }, select: { id: true } });
    const first = await snapshot(at(1), {});
    await annotate(projectId, at(2), 30);
    await annotate(projectId, at(2), 60);
    // The second snapshot held only allowed prompts: the disallowed annotation is the first's alone.
    const second = await snapshot(at(3), { promptPolicy: ["allowed"] });
    await annotate(projectId, at(4), 600);

    // base (CPU, 1 h, shared by the SFT and reward models) → sft (CPU, 2 h) → policy (PPO on 2 GPUs, two attempts: 1 h + 0.5 h), against a
    // reward model (1 GPU, 3 h) trained from the same base on the first snapshot.
    const baseJob = await job("sft", 0, [[-1, 0]]);
    const baseId = (await db.modelVersion.create({ data: { kind: "base", name: `base-${randomUUID()}`, path: "/nowhere", jobId: baseJob }, select: { id: true } })).id;
    const sftJob = await job("sft", 0, [[0, 2]]);
    const rewardJob = await job("train_reward", 1, [[1, 4]]);
    const ppoJob = await job("ppo", 2, [
      [5, 6],
      [7, 7.5],
    ]);
    const model = (data: { kind: "sft" | "reward" | "policy"; parentId: string; jobId: string; snapshotId?: string; rewardModelId?: string }) =>
      db.modelVersion.create({ data: { ...data, name: `${data.kind}-${randomUUID()}`, path: "runs/x/model", projectId }, select: { id: true } }).then((m) => m.id);
    const sft = await model({ kind: "sft", parentId: baseId, jobId: sftJob, snapshotId: second.id });
    const reward = await model({ kind: "reward", parentId: baseId, jobId: rewardJob, snapshotId: first.id });
    const policy = await model({ kind: "policy", parentId: sft, jobId: ppoJob, snapshotId: first.id, rewardModelId: reward });

    const caller = await callerFor(deps, cookie);
    const cost = await caller.models.cost({ modelVersionId: policy });
    expect(cost.models.map((m) => m.id).sort()).toEqual([baseId, sft, reward, policy].sort());
    // First snapshot: 3 annotations; second: the 2 allowed of those plus 2 newer. Union: 5, of which 4 timed.
    expect(cost.labels).toMatchObject({ annotations: 5, timedAnnotations: 4, snapshots: 2 });
    expect(cost.labels.annotatorHours).toBeCloseTo((10 + 20 + 30 + 60) / 60);
    // GPU: reward 3 h × 1 + PPO (1 + 0.5) h × 2 = 6; CPU: the base's 1 h once + the SFT run's 2 h.
    expect(cost.compute.gpuHours).toBeCloseTo(6);
    expect(cost.compute.cpuHours).toBeCloseTo(3);
    expect(cost.compute.jobs.find((j) => j.id === ppoJob)).toMatchObject({ device: "gpu", gpus: 2, hours: 1.5, deviceHours: 3 });

    // The reward model alone: its own job and snapshot.
    const own = await caller.models.cost({ modelVersionId: reward });
    expect(own.labels).toMatchObject({ annotations: 3, timedAnnotations: 2 });
    expect(own.compute).toMatchObject({ gpuHours: 3, cpuHours: 1 });
    await expect(caller.models.cost({ modelVersionId: randomUUID() })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("times a job without events from its start and finish", () => {
    expect(runHours({ startedAt: at(1), finishedAt: at(3.5), events: [] })).toBe(2.5);
    expect(runHours({ startedAt: null, finishedAt: null, events: [] })).toBe(0);
  });
});
