// The online loop end to end on tiny models: train_reward → ppo with it → generate new tasks from
// the PPO policy; evaluate; and the inputs each kind refuses before anything is queued.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZExportRequest } from "../../server/export/filter";
import { createSnapshot } from "../../server/export/snapshots";
import type { JobKind } from "../../server/jobs/kinds";
import { cancelJob, enqueue, getJobOrThrow } from "../../server/jobs/service";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { trainerDir } from "./trainer-process";
import { checkpointSteps, labelledProject, trainerProcessOf, waitFor } from "./test-fixtures";

const python = path.resolve(".venv/bin/python");
const words = ["question", "good", "bad", "answer", "helpful", "rude", "hello", "world"];

describe("the online loop", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let admin: Awaited<ReturnType<typeof createUser>>;
  let rankingsId: string;
  let pairsId: string;
  let encoderId: string;
  let policyId: string;
  const send = <K extends JobKind>(kind: K, payload: Parameters<typeof enqueue<K>>[2]) => enqueue({ db: deps.db, boss: sender, paths }, kind, payload, { createdById: admin.id });
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state));

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-loop-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    const encoderDir = path.join(root, "tiny-encoder");
    const policyDir = path.join(root, "tiny-policy");
    await promisify(execFile)(
      python,
      ["-c", `from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder; w = ${JSON.stringify(words)}; make_tiny_encoder(${JSON.stringify(encoderDir)}, w); make_tiny_causal_lm(${JSON.stringify(policyDir)}, w)`],
      { cwd: trainerDir() },
    );
    encoderId = (await deps.db.modelVersion.create({ data: { kind: "base", name: `tiny-encoder-${randomUUID()}`, path: encoderDir } })).id;
    policyId = (await deps.db.modelVersion.create({ data: { kind: "policy", name: `tiny-policy-${randomUUID()}`, path: policyDir } })).id;
    admin = await createUser(deps, "admin");
    const project = await labelledProject(deps, 6);
    rankingsId = (await createSnapshot(deps.db, { projectId: project.id, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir, createdById: admin.id })).id;
    pairsId = (await createSnapshot(deps.db, { projectId: project.id, request: ZExportRequest.parse({ format: "pairs" }), artifactDir: paths.artifactDir, createdById: admin.id })).id;
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "loop-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, paths, trainerPython: python });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps?.db.$disconnect();
  });

  it("trains a reward model, runs PPO with it, and generates K-response tasks from the new policy", async () => {
    const rewardJob = await finished((await send("train_reward", { snapshotId: rankingsId, baseModelId: encoderId, config: { epochs: 1, batch_size: 4, eval_fraction: 0, device: "cpu", lr: 1e-3 } })).id);
    expect(rewardJob.error).toBeNull();
    const reward = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: rewardJob.id, kind: "reward", checkpointStep: null } });

    const ppoQueued = await send("ppo", {
      policyModelId: policyId,
      rewardModelId: reward.id,
      promptsSnapshotId: rankingsId,
      config: { steps: 2, batch_size: 2, mini_batch_size: 2, ppo_epochs: 1, max_new_tokens: 4, eval_every: 100, checkpoint_every: 1, device: "cpu" },
    });
    const ppoJob = await finished(ppoQueued.id);
    expect(ppoJob.error).toBeNull();
    expect(ppoJob.state).toBe("succeeded");
    const policy = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: ppoJob.id, checkpointStep: null } });
    expect(policy).toMatchObject({ kind: "policy", parentId: policyId, rewardModelId: reward.id, safetyModelId: null, snapshotId: rankingsId, path: `runs/${ppoJob.id}/model` });
    expect(ppoJob.result).toMatchObject({ modelVersionId: policy.id });

    // K comes from the target project: 3 responses per task here.
    const target = await deps.db.project.create({ data: { name: `generated-${randomUUID()}`, k: 3, overlap: 1 } });
    const prompts = ["hello world", "good question", "helpful answer", "rude question"];
    const genJob = await finished((await send("generate", { policyModelId: policy.id, projectId: target.id, prompts, config: { max_new_tokens: 8, device: "cpu" } })).id);
    expect(genJob.error).toBeNull();
    const result = genJob.result as { tasksCreated: number; prompts: number; skipped: unknown[]; duplicates: number };
    expect(result.prompts).toBe(prompts.length);
    // A prompt whose samples came out empty or identical is skipped (reported), never half-imported.
    expect(result.tasksCreated + result.skipped.length + result.duplicates).toBe(prompts.length);
    expect(result.tasksCreated).toBeGreaterThan(0);
    const tasks = await deps.db.task.findMany({ where: { projectId: target.id }, select: { prompt: { select: { source: true } }, responses: { select: { model: true } } } });
    expect(tasks).toHaveLength(result.tasksCreated);
    for (const task of tasks) {
      expect(task.prompt.source).toBe("model_generated");
      expect(task.responses.map((r) => r.model)).toEqual([policy.id, policy.id, policy.id]);
    }

    // Each PPO checkpoint is a policy version too, with the run's lineage, and can be sampled from.
    const checkpoints = await deps.db.modelVersion.findMany({ where: { jobId: ppoJob.id, checkpointStep: { not: null } }, orderBy: { checkpointStep: "asc" } });
    expect(checkpoints.map((c) => [c.checkpointStep, c.path, c.prunedAt])).toEqual([
      [1, `runs/${ppoJob.id}/checkpoints/step-1/model`, null],
      [2, `runs/${ppoJob.id}/checkpoints/step-2/model`, null],
    ]);
    expect(checkpoints[0]).toMatchObject({ kind: "policy", name: `${policy.name}@step-1`, parentId: policyId, rewardModelId: reward.id, snapshotId: rankingsId });
    // No held-out prompts here: each checkpoint carries its own step's training numbers instead.
    expect(checkpoints[0]!.eval).toEqual({ last_train: expect.objectContaining({ reward: expect.any(Number), kl: expect.any(Number) }) });
    const fromCheckpoint = await finished((await send("generate", { policyModelId: checkpoints[0]!.id, projectId: target.id, prompts: ["a new question", "another answer", "good rude world"], config: { max_new_tokens: 8, device: "cpu" } })).id);
    expect(fromCheckpoint.error).toBeNull();
    const fromResult = fromCheckpoint.result as { tasksCreated: number };
    expect(fromResult.tasksCreated).toBeGreaterThan(0);
    expect(await deps.db.response.count({ where: { model: checkpoints[0]!.id } })).toBe(fromResult.tasksCreated * 3);
  }, 240_000);

  it("trains a policy with DPO straight from the labels: checkpoints and the final policy are versions with their lineage", async () => {
    const job = await finished(
      (
        await send("dpo", {
          snapshotId: rankingsId,
          baseModelId: policyId,
          config: { epochs: 1, batch_size: 2, max_steps: 2, checkpoint_every: 1, eval_fraction: 0.3, eval_every: 1, max_length: 64, lr: 1e-3, device: "cpu" },
        })
      ).id,
    );
    expect(job.error).toBeNull();
    const policy = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: job.id, checkpointStep: null } });
    expect(policy).toMatchObject({ kind: "policy", parentId: policyId, snapshotId: rankingsId, path: `runs/${job.id}/model` });
    const checkpoints = await deps.db.modelVersion.findMany({ where: { jobId: job.id, checkpointStep: { not: null } }, orderBy: { checkpointStep: "asc" } });
    expect(checkpoints.map((c) => c.checkpointStep)).toEqual([1, 2]);
    // TRL's metrics arrive under our names, as every run's do.
    const names = new Set((await deps.db.metric.findMany({ where: { jobId: job.id }, select: { name: true } })).map((m) => m.name));
    expect(names).toContain("train/loss");
    expect(names).toContain("eval/rewards/accuracies");
    // The held-out split is the project's, pinned at enqueue like the reward model's.
    expect((job.payload as { config: { split?: string } }).config.split).toBeTruthy();
  }, 180_000);

  it("trains a policy with KTO from the same labels, and with GRPO and RLOO against the refusal rule alone", async () => {
    const kto = await finished(
      (
        await send("kto", {
          snapshotId: rankingsId,
          baseModelId: policyId,
          config: { epochs: 1, batch_size: 2, max_steps: 1, checkpoint_every: 1, eval_fraction: 0, max_length: 64, lr: 1e-3, device: "cpu" },
        })
      ).id,
    );
    expect(kto.error).toBeNull();
    expect(await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: kto.id, checkpointStep: null } })).toMatchObject({ kind: "policy", parentId: policyId, snapshotId: rankingsId });

    for (const kind of ["grpo", "rloo"] as const) {
      const config = { steps: 1, batch_size: 2, num_generations: 2, max_new_tokens: 4, refusal_weight: 1, checkpoint_every: 1, eval_every: 100, device: "cpu" };
      const job = await finished((await send(kind, { policyModelId: policyId, promptsSnapshotId: rankingsId, config })).id);
      expect(job.error, kind).toBeNull();
      const policy = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: job.id, checkpointStep: null } });
      expect(policy, kind).toMatchObject({ kind: "policy", parentId: policyId, rewardModelId: null, safetyModelId: null, snapshotId: rankingsId, path: `runs/${job.id}/model` });
      expect(policy.name.startsWith(`${kind}-`), policy.name).toBe(true);
    }
  }, 300_000);

  // The TRL kinds run through the same handlers as the others; these pin that kill, resume and
  // cancel hold for TRL's checkpoints too (dpo for dpo/kto, grpo for grpo/rloo).
  it("a DPO trainer killed mid-run fails the attempt, and the next attempt resumes from its checkpoint", async () => {
    const config = { epochs: 1, batch_size: 1, max_steps: 60, checkpoint_every: 10, eval_fraction: 0, max_length: 64, lr: 1e-4, device: "cpu" };
    const queued = await send("dpo", { snapshotId: rankingsId, baseModelId: policyId, config });
    await waitFor("a checkpoint", () => checkpointSteps(paths.artifactDir, queued.id), (steps) => steps.length > 0);
    const pid = await trainerProcessOf(queued.id);
    expect(pid).not.toBeNull();
    process.kill(pid!, "SIGKILL");
    // Read right after the kill (the next attempt is seconds away): a step folder exists only once complete.
    const savedStep = Math.max(...(await checkpointSteps(paths.artifactDir, queued.id)));

    const job = await finished(queued.id);
    expect(job.error).toBeNull();
    expect(job.attempt).toBe(2);
    expect(job.events.map((e) => e.to)).toEqual(["queued", "running", "queued", "running", "succeeded"]);
    // The second attempt went on after the saved step: TRL read back its own checkpoint there.
    const resumed = await deps.db.metric.aggregate({ where: { jobId: job.id, name: "train/loss", attempt: 2 }, _min: { step: true }, _max: { step: true } });
    expect(resumed._min.step).toBe(savedStep + 1);
    expect(resumed._max.step).toBe(60);
    expect(await deps.db.modelVersion.count({ where: { jobId: job.id, kind: "policy", checkpointStep: null } })).toBe(1);
  }, 240_000);

  it("cancelling a GRPO run stops its trainer with a checkpoint, and the kept checkpoints are model versions", async () => {
    const config = { steps: 200, batch_size: 2, num_generations: 2, max_new_tokens: 4, refusal_weight: 1, checkpoint_every: 2, eval_every: 1000, device: "cpu" };
    const queued = await send("grpo", { policyModelId: policyId, promptsSnapshotId: rankingsId, config });
    await waitFor("a checkpoint", () => checkpointSteps(paths.artifactDir, queued.id), (steps) => steps.length > 0);
    expect(await trainerProcessOf(queued.id)).not.toBeNull();
    await cancelJob(deps.db, queued.id, { userId: admin.id });
    await waitFor("the trainer to exit", () => trainerProcessOf(queued.id), (p) => p === null);
    expect((await getJobOrThrow(deps.db, queued.id)).state).toBe("cancelled");
    expect(await stat(path.join(paths.artifactDir, "runs", queued.id, "model")).catch(() => null)).toBeNull();
    const saved = (await checkpointSteps(paths.artifactDir, queued.id)).sort((a, b) => a - b);
    expect(saved.at(-1)).toBeLessThan(200);
    const usable = await waitFor(
      "the checkpoints to be registered",
      () => deps.db.modelVersion.findMany({ where: { jobId: queued.id, prunedAt: null }, orderBy: { checkpointStep: "asc" } }),
      (rows) => rows.length === saved.length,
    );
    expect(usable.map((v) => v.checkpointStep)).toEqual(saved);
    expect(usable.every((v) => v.kind === "policy" && v.path.startsWith(`runs/${queued.id}/checkpoints/step-`))).toBe(true);
  }, 180_000);

  it("evaluates a reward model on a pairs snapshot and stores the result on the model version", async () => {
    const rewardJob = await finished((await send("train_reward", { snapshotId: pairsId, baseModelId: encoderId, config: { epochs: 1, batch_size: 4, eval_fraction: 0, device: "cpu" } })).id);
    const reward = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: rewardJob.id, kind: "reward", checkpointStep: null } });
    const job = await finished((await send("evaluate", { rewardModelId: reward.id, pairsSnapshotId: pairsId, config: { device: "cpu" } })).id);
    expect(job.error).toBeNull();
    expect(job.result).toMatchObject({ evaluations: [{ kind: "reward", modelVersionId: reward.id }], verdict: expect.arrayContaining([expect.stringMatching(/length rule/)]) });
    const stored = await deps.db.modelEvaluation.findFirstOrThrow({ where: { jobId: job.id } });
    // Trained with nothing held out: every pair of the snapshot is scored.
    expect(stored).toMatchObject({ modelVersionId: reward.id, kind: "reward", snapshotId: pairsId, split: null, output: `runs/${job.id}/eval.json` });
    expect(stored.results).toMatchObject({ metrics: { pair_accuracy: { value: expect.any(Number), lo: expect.any(Number), hi: expect.any(Number) }, "baseline/longer": expect.any(Object) } });
  }, 120_000);

  it("refuses missing, wrong-kind and empty inputs before anything is queued, saying what is wrong", async () => {
    const project = await deps.db.project.findFirstOrThrow({ where: { snapshots: { some: { id: rankingsId } } }, select: { id: true } });
    const empty = await createSnapshot(deps.db, { projectId: project.id, request: ZExportRequest.parse({ format: "rankings", promptPolicy: "disallowed" }), artifactDir: paths.artifactDir });
    const missing = randomUUID();
    const before = await deps.db.job.count();
    const refused = (attempt: () => Promise<unknown>) => attempt().then(() => null, (e: unknown) => e as { code: string; message: string });
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => send("ppo", { policyModelId: policyId, rewardModelId: missing, promptsSnapshotId: rankingsId }), "NOT_FOUND", new RegExp(`No model version ${missing} \\(the reward model\\)`)],
      [() => send("ppo", { policyModelId: policyId, rewardModelId: encoderId, promptsSnapshotId: rankingsId }), "BAD_REQUEST", /is a base model; the reward model must be reward/],
      [() => send("ppo", { policyModelId: encoderId, rewardModelId: encoderId, promptsSnapshotId: rankingsId }), "BAD_REQUEST", /the policy to train must be policy or sft/],
      [() => send("ppo", { policyModelId: policyId, rewardModelId: encoderId, promptsSnapshotId: empty.id }), "BAD_REQUEST", /is empty/],
      [() => send("ppo", { policyModelId: policyId, rewardModelId: encoderId, promptsSnapshotId: rankingsId, config: { steps: 0 } }), "BAD_REQUEST", /config\.steps/],
      [() => send("generate", { policyModelId: policyId, projectId: missing, prompts: ["hello"] }), "NOT_FOUND", /No active project/],
      [() => send("generate", { policyModelId: policyId, projectId: project.id }), "BAD_REQUEST", /Give the prompts: a snapshot, filters to create one, or a list/],
      [() => send("generate", { policyModelId: policyId, projectId: project.id, snapshotId: empty.id }), "BAD_REQUEST", /is empty/],
      [() => send("generate", { policyModelId: policyId, projectId: project.id, prompts: ["hello"], config: { num_samples: 9 } as never }), "BAD_REQUEST", /num_samples/],
      [() => send("evaluate", { rewardModelId: encoderId, pairsSnapshotId: pairsId }), "BAD_REQUEST", /the reward model to evaluate must be reward/],
      [() => send("evaluate", { safetyModelId: encoderId, safetyLabelsSnapshotId: rankingsId }), "BAD_REQUEST", /is a base model; the safety model must be safety/],
      [() => send("evaluate", { policyModelId: policyId, evaluationSetId: missing }), "NOT_FOUND", new RegExp(`No evaluation set ${missing}`)],
      [() => send("evaluate", { policyModelId: policyId, evaluationSetId: missing, promptsSnapshotId: rankingsId }), "BAD_REQUEST", /an evaluation set or a prompts snapshot, not both/],
      [() => send("evaluate", { policyModelId: policyId }), "BAD_REQUEST", /Evaluate a reward model on a snapshot/],
      [() => send("train_safety", { snapshotId: missing }), "NOT_FOUND", new RegExp(`No snapshot ${missing}`)],
      [() => send("train_sft", { snapshotId: rankingsId, baseModelId: policyId }), "BAD_REQUEST", /rankings format; the demonstrations must be sft/],
    ];
    for (const [attempt, code, message] of cases) {
      const err = await refused(attempt);
      expect(err, String(message)).toMatchObject({ code });
      expect(err?.message).toMatch(message);
    }
    expect(await deps.db.job.count()).toBe(before);
  });
});
