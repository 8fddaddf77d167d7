import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { getRunOrThrow, listMetrics, listRuns, recordMetrics } from "./service";

describe("runs", () => {
  let deps: TestDeps;
  let runId: string;
  let pingId: string;
  let baseId: string;
  let evaluateId: string;
  const evalIds = {} as Record<"prompts" | "pairs" | "policy" | "reward" | "safety", string>;

  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    const base = await deps.db.modelVersion.create({ data: { kind: "base", name: `base-${randomUUID()}`, path: "/nowhere" } });
    baseId = base.id;
    const missingSnapshot = randomUUID();
    const run = await deps.db.job.create({
      data: { kind: "train_reward", payload: { snapshotId: missingSnapshot, baseModelId: base.id, config: { epochs: 2 } }, createdById: admin.id, state: "running", progress: 0.5 },
    });
    runId = run.id;
    pingId = (await deps.db.job.create({ data: { kind: "ping", payload: {} } })).id;
    await deps.db.modelVersion.create({ data: { kind: "reward", name: `reward-${randomUUID()}`, path: `runs/${run.id}/model`, jobId: run.id, parentId: base.id } });
    // An evaluate run names two snapshots and three models: each is listed under its role.
    const projectId = (await deps.db.project.create({ data: { name: `runs-${randomUUID()}` } })).id;
    const snapshot = (format: string, rowCount: number) =>
      deps.db.snapshot.create({ data: { projectId, format, aggregate: "none", filter: {}, rowCount, bytes: 1, sha256: "x", schemaVersion: 1, path: "snapshots/x.jsonl" } });
    evalIds.prompts = (await snapshot("prompts", 12)).id;
    evalIds.pairs = (await snapshot("pairs", 34)).id;
    for (const kind of ["policy", "reward", "safety"] as const) evalIds[kind] = (await deps.db.modelVersion.create({ data: { kind, name: `${kind}-${randomUUID()}`, path: "/nowhere" } })).id;
    evaluateId = (
      await deps.db.job.create({
        data: {
          kind: "evaluate",
          payload: { rewardModelId: evalIds.reward, pairsSnapshotId: evalIds.pairs, policyModelId: evalIds.policy, promptsSnapshotId: evalIds.prompts, safetyModelId: evalIds.safety, config: {} },
          createdById: admin.id,
        },
      })
    ).id;
    await recordMetrics(deps.db, run.id, 1, [
      { step: 1, name: "train/loss", value: 0.9 },
      { step: 2, name: "train/loss", value: 0.7 },
      { step: 2, name: "eval/accuracy", value: 0.6 },
    ]);
  });

  afterAll(async () => {
    await deps.db.$disconnect();
  });

  it("lists training jobs with their inputs named, and leaves other jobs out", async () => {
    const runs = await listRuns(deps.db, { limit: 200 });
    const ids = runs.map((r) => r.id);
    expect(ids).toContain(runId);
    expect(ids).not.toContain(pingId);
    const run = runs.find((r) => r.id === runId)!;
    expect(run.inputs.models).toEqual([{ role: "base", id: baseId, name: expect.stringMatching(/^base-/), kind: "base" }]);
    expect(run.inputs.snapshots).toEqual([{ role: "data", id: expect.any(String), missing: true }]);
    expect(run.inputs.config).toEqual({ epochs: 2 });
  });

  it("names every snapshot and model a run uses (prompts, pairs, policy, reward, safety)", async () => {
    const run = (await listRuns(deps.db, { limit: 200 })).find((r) => r.id === evaluateId)!;
    expect(run.inputs.snapshots).toEqual([
      { role: "prompts", id: evalIds.prompts, format: "prompts", aggregate: "none", rowCount: 12, createdAt: expect.any(Date), project: { id: expect.any(String), name: expect.stringMatching(/^runs-/) } },
      { role: "pairs", id: evalIds.pairs, format: "pairs", aggregate: "none", rowCount: 34, createdAt: expect.any(Date), project: { id: expect.any(String), name: expect.stringMatching(/^runs-/) } },
    ]);
    expect(run.inputs.models.map((m) => [m.role, m.id, m.kind])).toEqual([
      ["policy", evalIds.policy, "policy"],
      ["reward", evalIds.reward, "reward"],
      ["safety", evalIds.safety, "safety"],
    ]);
    expect(run.inputs.models.every((m) => m.name?.startsWith(`${m.kind}-`))).toBe(true);
    expect((await getRunOrThrow(deps.db, evaluateId)).inputs).toEqual(run.inputs);
  });

  it("gets one run with its outputs and metric names; a job that is not a run is not found", async () => {
    const run = await getRunOrThrow(deps.db, runId);
    expect(run.outputs).toHaveLength(1);
    expect(run.outputs[0]).toMatchObject({ kind: "reward" });
    expect(run.metricNames).toEqual(["eval/accuracy", "train/loss"]);
    await expect(getRunOrThrow(deps.db, pingId)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("lists the checkpoints in the run's folder, newest first (they outlive a cancelled attempt)", async () => {
    const artifactDir = await mkdtemp(path.join(tmpdir(), "rlhf-runs-"));
    expect((await getRunOrThrow(deps.db, runId, { artifactDir })).checkpoints).toEqual([]);
    await deps.db.job.update({ where: { id: runId }, data: { outputDir: `runs/${runId}` } });
    const dir = path.join(artifactDir, "runs", runId, "checkpoints");
    for (const name of ["step-2", "step-10", ".step-12.tmp"]) await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, "notes.txt"), "");
    expect((await getRunOrThrow(deps.db, runId, { artifactDir })).checkpoints).toEqual([
      { step: 10, path: `runs/${runId}/checkpoints/step-10` },
      { step: 2, path: `runs/${runId}/checkpoints/step-2` },
    ]);
  });

  it("returns only the points after a step, for polling a live run", async () => {
    expect(await listMetrics(deps.db, runId, { afterStep: 1 })).toEqual({ "eval/accuracy": [{ step: 2, value: 0.6 }], "train/loss": [{ step: 2, value: 0.7 }] });
  });
});
