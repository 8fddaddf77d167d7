// train_reward end to end: real PostgreSQL, a real worker and the real trainer on a tiny encoder.
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { evalCaveats } from "../../server/models/eval-headline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZExportRequest } from "../../server/export/filter";
import { createSnapshot } from "../../server/export/snapshots";
import { cancelJob, enqueue, getJobOrThrow } from "../../server/jobs/service";
import { minilmEncoder } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { trainerDir } from "./trainer-process";
import { checkpointSteps, labelledProject, trainerProcessOf, waitFor } from "./test-fixtures";

const python = path.resolve(".venv/bin/python");
const words = ["question", "good", "bad", "answer", "helpful", "rude"];

describe("train_reward", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let snapshotId: string;
  let projectId: string;
  let admin: Awaited<ReturnType<typeof createUser>>;
  const send = (payload: Parameters<typeof enqueue<"train_reward">>[2]) => enqueue({ db: deps.db, boss: sender, paths }, "train_reward", payload, { createdById: admin.id });
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state));
  // A run long enough to be interrupted: many small steps, a checkpoint every 10.
  const longRun = { epochs: 40, batch_size: 1, eval_every: 10, eval_fraction: 0.2, early_stopping_patience: 0, device: "cpu", lr: 1e-3 } as const;

  const workerOptions = (workerId: string) => ({ databaseUrl: deps.databaseUrl, workerId, heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 5, paths, trainerPython: python });

  /** The daemon as it runs in production, in its own process group (so the test can kill the group). */
  function startDaemon(workerId: string, heartbeatTimeoutSeconds = 3) {
    const daemon = spawn(process.execPath, ["--import", "tsx", "workers/index.ts"], {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: deps.databaseUrl,
        WORKER_ID: workerId,
        ARTIFACT_DIR: paths.artifactDir,
        MODELS_DIR: paths.modelsDir,
        TRAINER_PYTHON: python,
        JOB_HEARTBEAT_TIMEOUT_SECONDS: String(heartbeatTimeoutSeconds),
        LOG_LEVEL: "warn",
      },
    });
    const output = { stderr: "" };
    daemon.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
    const killGroup = () => {
      try {
        process.kill(-daemon.pid!, "SIGKILL");
      } catch {
        // ESRCH: nothing of the group is left.
      }
    };
    return { daemon, output, killGroup };
  }

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-train-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    // The built-in default encoder's folder holds a tiny encoder here, so the default path is what runs.
    await promisify(execFile)(python, ["-c", `from trainer.tiny import make_tiny_encoder; make_tiny_encoder(${JSON.stringify(path.join(paths.modelsDir, minilmEncoder.path))}, ${JSON.stringify(words)})`], { cwd: trainerDir() });
    admin = await createUser(deps, "admin");
    const project = await labelledProject(deps, 10);
    projectId = project.id;
    snapshotId = (await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir, createdById: admin.id })).id;
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker(workerOptions("train-worker"));
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("trains on a rankings snapshot: metrics stream in and a reward model is registered with its lineage", async () => {
    const queued = await send({ snapshotId, config: { epochs: 2, batch_size: 4, eval_every: 2, eval_fraction: 0.2, device: "cpu", lr: 1e-3 } });
    // The default backbone is pinned when the job is queued, not looked up later.
    expect(queued.payload).toMatchObject({ snapshotId, baseModelId: minilmEncoder.id });

    const job = await finished(queued.id);
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ state: "succeeded", attempt: 1, progress: 1, outputDir: `runs/${job.id}` });
    expect(job.step).toBeGreaterThan(0);

    const losses = await deps.db.metric.findMany({ where: { jobId: job.id, name: "train/loss" }, orderBy: { step: "asc" } });
    expect(losses.length).toBe(job.step);
    expect(losses.map((m) => m.step)).toEqual(Array.from({ length: losses.length }, (_, i) => i + 1));
    expect(await deps.db.metric.count({ where: { jobId: job.id, name: "eval/accuracy" } })).toBeGreaterThan(0);

    const model = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: job.id, checkpointStep: null } });
    expect(model).toMatchObject({ kind: "reward", builtin: false, snapshotId, projectId, parentId: minilmEncoder.id, path: `runs/${job.id}/model` });
    expect(job.result).toMatchObject({ modelVersionId: model.id });
    expect(model.eval).toMatchObject({ accuracy: expect.any(Number), summary: { interrupted: false, format: "rankings" } });
    // A handful of held-out pairs: the console says the accuracy means little.
    expect(evalCaveats(model.eval)[0]).toMatch(/^Only \d+ held-out pairs?: too few for the accuracy to mean much/);
    expect(model.config).toMatchObject({ epochs: 2, format: "rankings", output_dir: path.join(paths.artifactDir, "runs", job.id) });
    const files = await readdir(path.join(paths.artifactDir, model.path));
    expect(files).toEqual(expect.arrayContaining(["config.json", "reward_config.json", "head.safetensors"]));
  }, 120_000);

  it("registers every checkpoint the trainer reports as a model version; pruned ones are marked and refused", async () => {
    // A checkpoint at every step, and only the newest kept on disk.
    const job = await finished((await send({ snapshotId, name: "rm-every-step", config: { epochs: 2, batch_size: 4, eval_every: 1, keep_checkpoints: 1, eval_fraction: 0.2, device: "cpu", lr: 1e-3 } })).id);
    expect(job.error).toBeNull();
    const steps = job.step!;
    const versions = await deps.db.modelVersion.findMany({ where: { jobId: job.id }, orderBy: { checkpointStep: { sort: "asc", nulls: "last" } } });
    expect(versions.map((v) => v.checkpointStep)).toEqual([...Array.from({ length: steps }, (_, i) => i + 1), null]);
    const checkpoints = versions.slice(0, -1);
    for (const v of checkpoints) {
      expect(v).toMatchObject({ kind: "reward", name: `rm-every-step@step-${v.checkpointStep}`, path: `runs/${job.id}/checkpoints/step-${v.checkpointStep}/model`, snapshotId, projectId, parentId: minilmEncoder.id });
      // Each carries the eval that ran at its own step.
      expect(v.eval).toMatchObject({ step: v.checkpointStep, accuracy: expect.any(Number), last_train: { loss: expect.any(Number) } });
    }
    expect(await checkpointSteps(paths.artifactDir, job.id)).toEqual([steps]);
    expect(checkpoints.filter((v) => v.prunedAt === null).map((v) => v.checkpointStep)).toEqual([steps]);
    const last = checkpoints.at(-1)!;
    expect(await readdir(path.join(paths.artifactDir, last.path))).toEqual(expect.arrayContaining(["config.json", "reward_config.json", "head.safetensors"]));

    // The kept checkpoint is a model like any other: a new run starts from it and finishes.
    const fromCheckpoint = await finished((await send({ snapshotId, baseModelId: last.id, config: { epochs: 1, batch_size: 4, eval_fraction: 0, device: "cpu" } })).id);
    expect(fromCheckpoint.error).toBeNull();
    expect(await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: fromCheckpoint.id, checkpointStep: null } })).toMatchObject({ parentId: last.id });
    // A pruned one is refused, saying why, before anything is queued.
    const before = await deps.db.job.count();
    await expect(send({ snapshotId, baseModelId: checkpoints[0]!.id })).rejects.toThrow(/checkpoint at step 1 of its run, and its folder has since been removed/);
    expect(await deps.db.job.count()).toBe(before);
  }, 180_000);

  it("refuses bad configs and inputs before anything is queued, saying what is wrong", async () => {
    const emptySnapshot = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings", promptPolicy: "disallowed" }), artifactDir: paths.artifactDir });
    const sftSnapshot = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "sft" }), artifactDir: paths.artifactDir });
    const before = await deps.db.job.count();
    const missing = randomUUID();
    const cases: [Parameters<typeof send>[0], string, RegExp][] = [
      [{ snapshotId, config: { learning_rate: 0.1 } as never }, "BAD_REQUEST", /learning_rate/],
      [{ snapshotId, config: { margin: "huge" as never } }, "BAD_REQUEST", /config\.margin/],
      [{ snapshotId, config: { data: "/etc/passwd" } as never }, "BAD_REQUEST", /data/],
      [{ snapshotId: missing }, "NOT_FOUND", new RegExp(`No snapshot ${missing}`)],
      [{ snapshotId: emptySnapshot.id }, "BAD_REQUEST", /is empty/],
      [{ snapshotId: sftSnapshot.id }, "BAD_REQUEST", /sft format; the reward model's training data must be rankings or pairs/],
      [{ snapshotId, baseModelId: missing }, "NOT_FOUND", new RegExp(`No model version ${missing}`)],
    ];
    for (const [payload, code, message] of cases) {
      const err = await send(payload).then(() => null, (e: unknown) => e as { code: string; message: string });
      expect(err, JSON.stringify(payload)).toMatchObject({ code });
      expect(err?.message).toMatch(message);
    }
    // A policy model is not a reward backbone here.
    const policy = await deps.db.modelVersion.create({ data: { kind: "policy", name: `policy-${randomUUID()}`, path: "/nowhere" } });
    await expect(send({ snapshotId, baseModelId: policy.id })).rejects.toThrow(/is a policy model; the reward model's backbone must be base or reward/);
    expect(await deps.db.job.count()).toBe(before);
  });

  it("shows a trainer error as the job's readable error, without retrying bad input", async () => {
    // A snapshot whose file the trainer cannot read: the trainer names the file and the line.
    const relative = path.join("snapshots", projectId, `${randomUUID()}.jsonl`);
    const file = path.join(paths.artifactDir, relative);
    const content = '{"id": "1", "prompt": "not a conversation", "responses": []}\n';
    await writeFile(file, content);
    await chmod(file, 0o444);
    const broken = await deps.db.snapshot.create({
      data: { projectId, format: "rankings", aggregate: "raw", filter: {}, rowCount: 1, bytes: Buffer.byteLength(content), sha256: "x", schemaVersion: 1, path: relative },
    });
    const job = await finished((await send({ snapshotId: broken.id, config: { device: "cpu" } })).id);
    expect(job.state).toBe("failed");
    expect(job.attempt).toBe(1);
    expect(job.error).toMatch(new RegExp(`${relative.replaceAll(".", "\\.")}:1: .*responses`));
    expect(job.error).not.toMatch(/Traceback/);
    expect(await deps.db.modelVersion.count({ where: { jobId: job.id } })).toBe(0);
  }, 120_000);

  it("a trainer killed mid-run fails the attempt, and the re-queued attempt resumes from its checkpoint", async () => {
    const queued = await send({ snapshotId, config: longRun });
    const checkpointed = await waitFor("a checkpoint", () => checkpointSteps(paths.artifactDir, queued.id), (steps) => steps.length > 0);
    const pid = await trainerProcessOf(queued.id);
    expect(pid).not.toBeNull();
    process.kill(pid!, "SIGKILL");
    const savedStep = Math.max(...checkpointed);

    const job = await finished(queued.id);
    expect(job.state).toBe("succeeded");
    expect(job.attempt).toBe(2);
    expect(job.events.map((e) => e.to)).toEqual(["queued", "running", "queued", "running", "succeeded"]);
    expect(job.events[2]?.message).toMatch(/The trainer was killed \(SIGKILL\)/);
    // The second attempt started after the checkpoint, not from step 1.
    const resumed = await deps.db.metric.aggregate({ where: { jobId: job.id, name: "train/loss", attempt: 2 }, _min: { step: true } });
    expect(resumed._min.step).toBeGreaterThan(savedStep);
    expect(await deps.db.metric.count({ where: { jobId: job.id, name: "train/loss" } })).toBe(job.step);
    expect(await deps.db.modelVersion.count({ where: { jobId: job.id, kind: "reward", checkpointStep: null } })).toBe(1);
    const usable = await deps.db.modelVersion.findMany({ where: { jobId: job.id, checkpointStep: { not: null }, prunedAt: null }, orderBy: { checkpointStep: "asc" } });
    expect(usable.map((v) => v.checkpointStep)).toEqual((await checkpointSteps(paths.artifactDir, job.id)).sort((a, b) => a - b));
  }, 180_000);

  it("cancel stops the trainer and keeps its checkpoint", async () => {
    const queued = await send({ snapshotId, config: longRun });
    await waitFor("a checkpoint", () => checkpointSteps(paths.artifactDir, queued.id), (steps) => steps.length > 0);
    const pid = await trainerProcessOf(queued.id);
    await cancelJob(deps.db, queued.id, { userId: admin.id });
    await waitFor("the trainer to exit", () => trainerProcessOf(queued.id), (p) => p === null);
    // SIGTERM, not a kill: the trainer saved a checkpoint on the way out.
    expect(pid).not.toBeNull();
    const job = await getJobOrThrow(deps.db, queued.id);
    expect(job.state).toBe("cancelled");
    expect((await checkpointSteps(paths.artifactDir, queued.id)).length).toBeGreaterThan(0);
    expect(await stat(path.join(paths.artifactDir, "runs", queued.id, "model")).catch(() => null)).toBeNull();
    // No final model, but the kept checkpoints are model versions, usable like any other.
    const saved = (await checkpointSteps(paths.artifactDir, queued.id)).sort((a, b) => a - b);
    const usable = await waitFor(
      "the checkpoints to be registered",
      () => deps.db.modelVersion.findMany({ where: { jobId: queued.id, prunedAt: null }, orderBy: { checkpointStep: "asc" } }),
      (rows) => rows.length === saved.length,
    );
    expect(usable.map((v) => v.checkpointStep)).toEqual(saved);
  }, 120_000);

  it("kill -9 of a worker mid-run: the job's heartbeat expires, it is queued again and another worker resumes it from its checkpoint", async () => {
    // One SIGKILL to the daemon's process group takes it and its trainer (a machine dying).
    await worker.stop();
    const { daemon, output, killGroup } = startDaemon("doomed-worker");
    try {
      const queued = await send({ snapshotId, config: longRun });
      const checkpointed = await waitFor("a checkpoint from the daemon", () => checkpointSteps(paths.artifactDir, queued.id), (steps) => steps.length > 0);
      expect((await getJobOrThrow(deps.db, queued.id)).workerId).toBe("doomed-worker");
      process.kill(-daemon.pid!, "SIGKILL");
      await waitFor("the trainer to die with it", () => trainerProcessOf(queued.id), (p) => p === null);
      const savedStep = Math.max(...(await checkpointSteps(paths.artifactDir, queued.id)), ...checkpointed);

      worker = await startWorker(workerOptions("rescue-worker"));
      const job = await finished(queued.id);
      expect(job.error).toBeNull();
      expect(job).toMatchObject({ state: "succeeded", attempt: 2, workerId: "rescue-worker" });
      expect(job.events.map((e) => [e.to, e.workerId])).toEqual([
        ["queued", null],
        ["running", "doomed-worker"],
        ["queued", "doomed-worker"],
        ["running", "rescue-worker"],
        ["succeeded", "rescue-worker"],
      ]);
      expect(job.events[2]?.message).toMatch(/doomed-worker stopped responding/);
      const resumed = await deps.db.metric.aggregate({ where: { jobId: job.id, name: "train/loss", attempt: 2 }, _min: { step: true } });
      expect(resumed._min.step).toBeGreaterThan(savedStep);
      expect(await deps.db.modelVersion.count({ where: { jobId: job.id, kind: "reward", checkpointStep: null } })).toBe(1);
    } catch (err) {
      throw new Error(`${String(err)}\n--- the daemon's stderr ---\n${output.stderr.slice(-3000)}`);
    } finally {
      killGroup();
    }
  }, 240_000);

  it("kill -9 of the worker's process alone: its orphaned trainer checkpoints and exits by itself", async () => {
    await worker.stop();
    // Its job is not taken back meanwhile (the daemon heart-beats every 5 s until the trainer reports steps).
    const { daemon, output, killGroup } = startDaemon("orphaning-worker", 60);
    try {
      // No evaluation (so no checkpoint) before the end: a checkpoint can only come from the stop.
      // Far longer than longRun, so the orphan cannot simply finish in the second it takes to notice.
      const queued = await send({ snapshotId, config: { ...longRun, epochs: 2000, eval_every: 100_000 } });
      const running = await waitFor("steps from the daemon's trainer", () => getJobOrThrow(deps.db, queued.id), (j) => (j.step ?? 0) > 0);
      expect(running.workerId).toBe("orphaning-worker");
      expect(await trainerProcessOf(queued.id)).not.toBeNull();
      process.kill(daemon.pid!, "SIGKILL");
      // It would otherwise go on unsupervised (or die at its next write to the dead worker's pipe,
      // losing its steps) beside the attempt that replaces it.
      await waitFor("the orphaned trainer to exit", () => trainerProcessOf(queued.id), (p) => p === null, 10_000);
      const saved = await checkpointSteps(paths.artifactDir, queued.id);
      expect(saved).toHaveLength(1);
      expect(saved[0]).toBeGreaterThanOrEqual(running.step!);
      expect(await stat(path.join(paths.artifactDir, "runs", queued.id, "model")).catch(() => null)).toBeNull();
      await cancelJob(deps.db, queued.id);
    } catch (err) {
      throw new Error(`${String(err)}\n--- the daemon's stderr ---\n${output.stderr.slice(-3000)}`);
    } finally {
      killGroup();
      worker = await startWorker(workerOptions("train-worker-after-orphan"));
    }
  }, 180_000);
});
