import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { getRunOrThrow, listMetrics, listRuns, recordMetrics } from "./service";

describe("runs", () => {
  let deps: TestDeps;
  let runId: string;
  let pingId: string;
  let baseId: string;

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
    expect(run.inputs.snapshot).toMatchObject({ missing: true });
    expect(run.inputs.config).toEqual({ epochs: 2 });
  });

  it("gets one run with its outputs and metric names; a job that is not a run is not found", async () => {
    const run = await getRunOrThrow(deps.db, runId);
    expect(run.outputs).toHaveLength(1);
    expect(run.outputs[0]).toMatchObject({ kind: "reward" });
    expect(run.metricNames).toEqual(["eval/accuracy", "train/loss"]);
    await expect(getRunOrThrow(deps.db, pingId)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("returns only the points after a step, for polling a live run", async () => {
    expect(await listMetrics(deps.db, runId, { afterStep: 1 })).toEqual({ "eval/accuracy": [{ step: 2, value: 0.6 }], "train/loss": [{ step: 2, value: 0.7 }] });
  });
});
