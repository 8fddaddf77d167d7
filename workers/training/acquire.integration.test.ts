// acquire end to end: real PostgreSQL, a real worker, reward models trained by the real trainer on
// a tiny encoder, then the real `acquire` command scoring the project's unlabelled tasks.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTaskOrder } from "../../server/acquisition/service";
import { nextAssignment } from "../../server/annotation/service";
import { ZExportRequest } from "../../server/export/filter";
import { createSnapshot } from "../../server/export/snapshots";
import { importJsonl } from "../../server/import/service";
import { enqueue, getJobOrThrow } from "../../server/jobs/service";
import { minilmEncoder } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { labelledProject, waitFor } from "./test-fixtures";
import { trainerDir } from "./trainer-process";

const python = path.resolve(".venv/bin/python");
const words = ["question", "good", "bad", "answer", "helpful", "rude", "maybe", "fine"];

describe("acquire", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let projectId: string;
  let snapshotId: string;
  let admin: Awaited<ReturnType<typeof createUser>>;
  /** The unlabelled regular tasks: what an acquisition scores. */
  let pool: string[];
  let goldId: string;
  const queue = <K extends "train_reward" | "acquire">(kind: K, payload: Parameters<typeof enqueue<K>>[2]) =>
    enqueue({ db: deps.db, boss: sender, paths }, kind, payload, { createdById: admin.id });
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 150_000);
  const trainRewardModel = async (seed: number) => {
    const job = await finished((await queue("train_reward", { snapshotId, name: `rm-seed-${seed}`, config: { epochs: 1, batch_size: 4, eval_fraction: 0, device: "cpu", lr: 1e-3, seed } })).id);
    expect(job.error).toBeNull();
    return deps.db.modelVersion.findFirstOrThrow({ where: { jobId: job.id, checkpointStep: null }, select: { id: true } });
  };

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-acquire-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    await promisify(execFile)(python, ["-c", `from trainer.tiny import make_tiny_encoder; make_tiny_encoder(${JSON.stringify(path.join(paths.modelsDir, minilmEncoder.path))}, ${JSON.stringify(words)})`], { cwd: trainerDir() });
    admin = await createUser(deps, "admin");
    const project = await labelledProject(deps, 8);
    projectId = project.id;
    snapshotId = (await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir, createdById: admin.id })).id;
    // New tasks nobody has labelled yet, one of them gold (never scored).
    const rows = Array.from({ length: 7 }, (_, i) => ({
      prompt: [{ role: "system", content: "be kind" }, { role: "user", content: `new question ${i} ${randomUUID()}` }],
      responses: i % 2 ? ["maybe fine answer", "good helpful answer"] : ["bad rude answer", "maybe answer"],
    }));
    const summary = await importJsonl(deps.db, {
      projectId,
      layout: "tasks",
      chunks: (async function* () {
        yield rows.map((r) => JSON.stringify(r)).join("\n");
      })(),
      strict: true,
      filename: null,
      createdById: null,
    });
    expect(summary.imported).toBe(7);
    const fresh = await deps.db.task.findMany({ where: { projectId, annotationCount: 0 }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } });
    goldId = fresh[0]!.id;
    await deps.db.task.update({ where: { id: goldId }, data: { isGold: true } });
    pool = fresh.slice(1).map((t) => t.id);
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "acquire-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 5, paths, trainerPython: python });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("refuses an ensemble of fewer than two reward models before anything is queued, saying to train more", async () => {
    const before = await deps.db.job.count();
    await expect(queue("acquire", { projectId, config: {} })).rejects.toThrow(/has 0 trained reward models; an acquisition needs at least 2.*Train more reward models/);
    const first = await trainRewardModel(1);
    const jobs = await deps.db.job.count();
    await expect(queue("acquire", { projectId, config: {} })).rejects.toThrow(/has 1 trained reward model; an acquisition needs at least 2/);
    await expect(queue("acquire", { projectId, rewardModelIds: [first.id], config: {} })).rejects.toThrow(/at least 2 reward models/);
    await expect(queue("acquire", { projectId, rewardModelIds: [first.id, first.id], config: {} })).rejects.toThrow(/names the same model twice/);
    await expect(queue("acquire", { projectId, rewardModelIds: [first.id, randomUUID()], config: {} })).rejects.toThrow(/No model version/);
    await expect(queue("acquire", { projectId, config: { pool: "/etc/passwd" } as never })).rejects.toThrow(/pool/);
    expect(await deps.db.job.count()).toBe(jobs);
    expect(jobs).toBe(before + 1);
  }, 200_000);

  it("scores the unlabelled tasks with the ensemble, stores them ranked by score, and prioritises them in uncertainty order", async () => {
    await trainRewardModel(2);
    await trainRewardModel(3);
    const newest = await deps.db.modelVersion.findMany({
      where: { projectId, kind: "reward", checkpointStep: null },
      orderBy: { createdAt: "desc" },
      select: { id: true },
    });
    expect(newest.length).toBe(3);

    const queued = await queue("acquire", { projectId, config: { device: "cpu", batch_size: 4 } });
    // The default ensemble (the 3 most recent) is pinned at enqueue.
    expect(queued.payload).toMatchObject({ rewardModelIds: newest.map((m) => m.id) });
    const job = await finished(queued.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe("succeeded");
    expect(job.result).toMatchObject({ stored: pool.length, tasks: pool.length, unknownTasks: 0, applied: false, summary: { tasks: pool.length, members: 3 } });

    // The pool the trainer read: the unlabelled regular tasks with their messages and responses.
    const poolLines = (await readFile(path.join(paths.artifactDir, "runs", job.id, "pool.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { task_id: string; prompt: { role: string }[]; responses: { id: string; text: string }[] });
    expect(poolLines.map((l) => l.task_id).toSorted()).toEqual(pool.toSorted());
    expect(poolLines[0]!.prompt.map((m) => m.role)).toEqual(["system", "user"]);
    expect(poolLines[0]!.responses[0]).toEqual({ id: expect.any(String), text: expect.any(String) });

    const rows = await deps.db.taskAcquisition.findMany({ where: { jobId: job.id }, orderBy: { rank: "asc" } });
    expect(rows.map((r) => r.rank)).toEqual(pool.map((_, i) => i + 1));
    expect(rows.map((r) => r.taskId).toSorted()).toEqual(pool.toSorted());
    const scores = rows.map((r) => r.score);
    expect(scores).toEqual(scores.toSorted((a, b) => b - a));
    for (const r of rows) {
      expect(r.disagreement).toBeGreaterThanOrEqual(0);
      expect(r.borderline).toBeNull();
    }
    // Imported order: nothing changes for annotators yet.
    expect(await deps.db.task.count({ where: { projectId, priority: { not: 0 } } })).toBe(0);

    await setTaskOrder(deps.db, { projectId, order: "uncertainty" }, admin.id);
    const tasks = await deps.db.task.findMany({ where: { projectId }, select: { id: true, priority: true } });
    const priority = new Map(tasks.map((t) => [t.id, t.priority]));
    for (const r of rows) expect(priority.get(r.taskId)).toBe(r.score);
    expect(priority.get(goldId)).toBe(0);
    const annotator = await createUser(deps, "annotator");
    const lease = await nextAssignment(deps.db, { projectId, annotatorId: annotator.id });
    expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: lease!.assignmentId } })).taskId).toBe(rows[0]!.taskId);

    // A later run, finishing while the project is in uncertainty order, re-ranks at once.
    const again = await finished((await queue("acquire", { projectId, rewardModelIds: newest.slice(0, 2).map((m) => m.id), config: { device: "cpu" } })).id);
    expect(again.error).toBeNull();
    expect(again.result).toMatchObject({ applied: true, stored: pool.length });
    const second = await deps.db.taskAcquisition.findMany({ where: { jobId: again.id } });
    const now = new Map((await deps.db.task.findMany({ where: { projectId }, select: { id: true, priority: true } })).map((t) => [t.id, t.priority]));
    for (const r of second) expect(now.get(r.taskId)).toBe(r.score);
  }, 400_000);
});
