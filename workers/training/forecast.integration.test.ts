// forecast end to end: real PostgreSQL, a real worker and the real trainer's `forecast` command on a
// tiny encoder, over a project labelled through the platform.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZExportRequest } from "../../server/export/filter";
import { createSnapshot } from "../../server/export/snapshots";
import { forecastOfResult } from "../../server/forecast/forecast-result";
import { latestForecast } from "../../server/forecast/service";
import { enqueue, getJobOrThrow } from "../../server/jobs/service";
import { minilmEncoder } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { labelledProject, waitFor } from "./test-fixtures";
import { trainerDir } from "./trainer-process";

const python = path.resolve(".venv/bin/python");
const kinds = 16;
const fill = ["one", "two", "three", "four", "five"];
const good = Array.from({ length: kinds }, (_, i) => `g${i}`);
const bad = Array.from({ length: kinds }, (_, i) => `b${i}`);
// The better answer holds one of many "good" words: a model knows only those it has seen, so more
// pairs help, as the forecast needs.
const pair = (i: number) => ({ better: `${fill[i % 5]} ${good[i % kinds]} ${fill[(i * 3) % 5]} ${i}`, worse: `${fill[(i + 2) % 5]} ${bad[(i * 7) % kinds]} ${fill[i % 5]} ${i}` });

describe("forecast", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let projectId: string;
  let snapshotId: string;
  let admin: Awaited<ReturnType<typeof createUser>>;
  const queue = (payload: Parameters<typeof enqueue<"forecast">>[2]) => enqueue({ db: deps.db, boss: sender, paths }, "forecast", payload, { createdById: admin.id });
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 300_000);

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-forecast-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    const words = [...fill, ...good, ...bad, "question"];
    await promisify(execFile)(python, ["-c", `from trainer.tiny import make_tiny_encoder; make_tiny_encoder(${JSON.stringify(path.join(paths.modelsDir, minilmEncoder.path))}, ${JSON.stringify(words)})`], { cwd: trainerDir() });
    admin = await createUser(deps, "admin");
    projectId = (await labelledProject(deps, 48, pair)).id;
    snapshotId = (await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir, createdById: admin.id })).id;
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "forecast-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 5, paths, trainerPython: python });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("refuses a snapshot of the wrong format and a forecast that holds nothing out before anything is queued", async () => {
    const sft = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "sft" }), artifactDir: paths.artifactDir });
    const before = await deps.db.job.count();
    await expect(queue({ snapshotId: sft.id, config: {} })).rejects.toThrow(/sft format; the forecast's labelled pairs must be rankings or pairs/);
    await expect(queue({ snapshotId, config: { eval_fraction: 0 } })).rejects.toThrow(/eval_fraction/);
    await expect(queue({ snapshotId, config: { target_accuracy: 1 } })).rejects.toThrow(/target_accuracy/);
    await deps.db.project.update({ where: { id: projectId }, data: { heldOutFraction: 0 } });
    await expect(queue({ snapshotId, config: {} })).rejects.toThrow(/held-out prompts: set eval_fraction above 0/);
    await deps.db.project.update({ where: { id: projectId }, data: { heldOutFraction: 0.1 } });
    expect(await deps.db.job.count()).toBe(before);
    // Nothing has succeeded yet; a project that does not exist is named.
    expect(await latestForecast(deps.db, { projectId })).toBeNull();
    await expect(latestForecast(deps.db, { projectId: randomUUID() })).rejects.toThrow(/No project with id/);
  });

  it("trains on nested subsets, stores the forecast as the job's result and artifact, and registers no model", async () => {
    const queued = await queue({
      snapshotId,
      config: { epochs: 2, batch_size: 4, lr: 1e-3, device: "cpu", eval_fraction: 0.25, resamples: 50, target_accuracy: 0.9, more_pairs: 100, seed: 1 },
    });
    // The project's held-out split is pinned at enqueue, with the run's own fraction.
    expect(queued.payload).toMatchObject({ config: { split: expect.stringMatching(/^split-/), eval_fraction: 0.25 } });
    const job = await finished(queued.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe("succeeded");
    expect(job.result).toMatchObject({ projectId, snapshotId, points: 5, output: `runs/${job.id}/forecast.json` });

    const forecast = forecastOfResult(job.result)!;
    expect(forecast).not.toBeNull();
    expect(forecast.points.map((p) => p.run)).toEqual(["1-16", "1-8", "1-4", "1-2", "all"]);
    const pairs = forecast.points.map((p) => p.train_pairs);
    expect(pairs).toEqual(pairs.toSorted((a, b) => a - b));
    expect(new Set(pairs).size).toBe(5);
    // One held-out split: every run is measured on the same pairs.
    expect(new Set(forecast.points.map((p) => p.eval_pairs)).size).toBe(1);
    expect(forecast.split).toEqual({ name: (queued.payload as { config: { split: string } }).config.split, fraction: 0.25 });
    expect(forecast.error.band.length).toBeGreaterThan(0);
    expect(forecast.answers.target_accuracy).toMatchObject({ accuracy: 0.9, reachable: expect.any(Boolean) });
    expect(forecast.answers.more_pairs).toMatchObject({ more_pairs: 100, pairs: Math.max(...pairs) + 100 });

    const file = JSON.parse(await readFile(path.join(paths.artifactDir, "runs", job.id, "forecast.json"), "utf8")) as unknown;
    expect(file).toEqual((job.result as { forecast: unknown }).forecast);
    // The subset models are scratch.
    expect(await deps.db.modelVersion.count({ where: { jobId: job.id } })).toBe(0);

    const latest = await latestForecast(deps.db, { projectId });
    expect(latest).toMatchObject({ jobId: job.id, snapshotId, forecast: { points: forecast.points } });
  }, 400_000);
});
