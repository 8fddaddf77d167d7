// The guided loop on tiny models standing in for the built-in ones: label → reward model (on a
// snapshot of the labels) → PPO → promote → generate new tasks, each step started with one call.
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJobOrThrow } from "../../server/jobs/service";
import type { PolicyRoute, TStartLoopStepInput } from "../../server/loop/loop.schema";
import { startLoopStep } from "../../server/loop/start-step";
import { getLoopStatus } from "../../server/loop/status";
import { minilmEncoder, smollmPolicy } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { labelledProject, waitFor } from "./test-fixtures";
import { trainerDir } from "./trainer-process";

const python = path.resolve(".venv/bin/python");
const noEvaluationSet = "A demonstration project without an evaluation set yet";
const words = ["question", "good", "bad", "answer", "helpful", "rude", "hello", "world"];

describe("the guided loop", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let boss: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let adminId: string;
  const step = (input: Omit<TStartLoopStepInput, "preset" | "route"> & { route?: PolicyRoute }) =>
    startLoopStep({ db: deps.db, boss, paths }, { preset: "quick", route: "ppo", ...input }, adminId);
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 150_000);

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-guided-loop-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    // Tiny models in the built-in models' folders: the loop uses the defaults, as `make dev` does.
    const encoderDir = path.join(paths.modelsDir, minilmEncoder.path);
    const policyDir = path.join(paths.modelsDir, smollmPolicy.path);
    await promisify(execFile)(
      python,
      ["-c", `from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder; w = ${JSON.stringify(words)}; make_tiny_encoder(${JSON.stringify(encoderDir)}, w); make_tiny_causal_lm(${JSON.stringify(policyDir)}, w)`],
      { cwd: trainerDir() },
    );
    adminId = (await createUser(deps, "admin")).id;
    boss = createBoss(deps.databaseUrl, "rlhf-test-loop");
    await boss.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "guided-loop-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, paths, trainerPython: python });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false, wait: true });
    await deps?.db.$disconnect();
  });

  it("refuses steps whose inputs are not there yet, saying what to do first", async () => {
    const project = await labelledProject(deps, 3);
    const status = await getLoopStatus(deps.db, project.id);
    expect(status.labels).toMatchObject({ labelledTasks: 3, annotations: 3, openTasks: 0, needed: 8 });
    // The test's worker is alive (workers of earlier test files may be too); a row left by a
    // worker that stopped long ago is not counted.
    expect(status.workers.alive).toBeGreaterThanOrEqual(1);
    await deps.db.worker.create({ data: { id: `gone-${project.id}`, host: "old", capabilities: { cpus: 1, memoryBytes: 1, gpus: [{ name: "GPU", memoryMiB: 1 }] }, lastSeenAt: new Date(Date.now() - 3_600_000) } });
    const { workers } = await getLoopStatus(deps.db, project.id);
    expect(workers.withGpus).toBe(status.workers.withGpus);
    expect(workers.alive).toBe(status.workers.alive);
    await expect(step({ projectId: project.id, step: "reward" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Label at least 8 tasks before training a reward model (3 so far)" });
    await expect(step({ projectId: project.id, step: "policy" })).rejects.toMatchObject({ message: /Train a reward model/ });
    await expect(step({ projectId: project.id, step: "policy", route: "grpo" })).rejects.toMatchObject({ message: /Train a reward model .*or take the DPO route/ });
    await expect(step({ projectId: project.id, step: "policy", route: "dpo" })).rejects.toMatchObject({ message: "Label at least 8 tasks before training with DPO (3 so far)" });
    await expect(step({ projectId: project.id, step: "promote" })).rejects.toMatchObject({ message: /Train the policy first/ });
    await expect(step({ projectId: project.id, step: "generate" })).rejects.toMatchObject({ message: /Train a reward model first/ });
    expect(await deps.db.snapshot.count({ where: { projectId: project.id } })).toBe(0);
    expect(await deps.db.job.count({ where: { createdById: adminId } })).toBe(0);
  });

  it("walks label → reward model → PPO → promote → generate, and the new tasks come back for labelling", async () => {
    const project = await labelledProject(deps, 8);
    const { id: projectId } = project;

    const reward = await step({ projectId, step: "reward" });
    // The step froze the project's labels into a snapshot for the run.
    const [snapshot] = await deps.db.snapshot.findMany({ where: { projectId } });
    expect(snapshot).toMatchObject({ format: "rankings", rowCount: 8 });
    await expect(step({ projectId, step: "reward" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await finished(reward.job!.id)).state).toBe("succeeded");
    let status = await getLoopStatus(deps.db, projectId);
    expect(status.reward.job).toMatchObject({ id: reward.job!.id, state: "succeeded" });
    expect(status.reward.model).toMatchObject({ snapshotId: snapshot!.id, jobId: reward.job!.id });

    const ppo = await step({ projectId, step: "policy" });
    const ppoJob = await finished(ppo.job!.id);
    expect(ppoJob.error).toBeNull();
    expect(ppoJob.payload).toMatchObject({ rewardModelId: status.reward.model!.id, policyModelId: smollmPolicy.id, promptsSnapshotId: snapshot!.id, config: { steps: 8, lora_r: 8 } });
    status = await getLoopStatus(deps.db, projectId);
    expect(status.policy.model).toMatchObject({ jobId: ppoJob.id });
    expect(status.promoted).toBe(false);

    // The project has no evaluation set, so the release gates are not measured: the step refuses
    // until the admin overrides them with a reason.
    await expect(step({ projectId, step: "promote" })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/has no evaluation set/) });
    await step({ projectId, step: "promote", overrideReason: noEvaluationSet });
    status = await getLoopStatus(deps.db, projectId);
    expect(status.promoted).toBe(true);
    expect(status.project.currentPolicy?.id).toBe(status.policy.model!.id);

    const generate = await step({ projectId, step: "generate" });
    const genJob = await finished(generate.job!.id);
    expect(genJob.error).toBeNull();
    // Sampled from the promoted policy, K (2) responses per prompt, back in the project as open tasks.
    expect(genJob.payload).toMatchObject({ policyModelId: status.policy.model!.id, projectId });
    const created = (genJob.result as { tasksCreated: number }).tasksCreated;
    expect(created).toBeGreaterThan(0);
    status = await getLoopStatus(deps.db, projectId);
    expect(status.generate.job).toMatchObject({ id: genJob.id, state: "succeeded" });
    expect(status.labels).toMatchObject({ generatedTasks: created, openTasks: created, labelledTasks: 8 });
    const tasks = await deps.db.task.findMany({ where: { projectId, annotationCount: 0 }, select: { responses: { select: { model: true } } } });
    expect(tasks).toHaveLength(created);
    for (const task of tasks) expect(task.responses.map((r) => r.model)).toEqual([status.policy.model!.id, status.policy.model!.id]);
    // Each step the admin started is in the audit log, with the run it queued.
    const audit = await deps.db.auditLog.findMany({ where: { projectId, action: { startsWith: "loop." } }, orderBy: { id: "asc" }, select: { action: true, actorId: true, after: true } });
    expect(audit.map((a) => a.action)).toEqual(["loop.reward", "loop.policy", "loop.promote", "loop.generate"]);
    expect(audit[1]!.after).toMatchObject({ route: "ppo", jobId: ppoJob.id });
    expect(audit.every((a) => a.actorId === adminId)).toBe(true);
    expect(audit[3]!.after).toMatchObject({ preset: "quick", jobId: genJob.id });
  }, 400_000);

  it("takes the DPO route straight from the labels, without a reward model, and the policy can be promoted", async () => {
    const { id: projectId } = await labelledProject(deps, 8);
    const dpo = await step({ projectId, step: "policy", route: "dpo" });
    const job = await finished(dpo.job!.id);
    expect(job).toMatchObject({ kind: "dpo", error: null, state: "succeeded" });
    // A rankings snapshot of the labels as they are, and the quick preset's LoRA.
    const [snapshot] = await deps.db.snapshot.findMany({ where: { projectId } });
    expect(snapshot).toMatchObject({ format: "rankings", rowCount: 8 });
    expect(job.payload).toMatchObject({ snapshotId: snapshot!.id, config: { lora_r: 8, epochs: 2 } });
    let status = await getLoopStatus(deps.db, projectId);
    expect(status.reward.model).toBeNull();
    expect(status.policy.job).toMatchObject({ id: job.id, kind: "dpo" });
    expect(status.policy.model).toMatchObject({ jobId: job.id, snapshotId: snapshot!.id });
    await step({ projectId, step: "promote", overrideReason: noEvaluationSet });
    status = await getLoopStatus(deps.db, projectId);
    expect(status.project.currentPolicy?.id).toBe(status.policy.model!.id);
  }, 300_000);
});
