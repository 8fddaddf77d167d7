import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoss } from "../queue";
import { seedLabelledProject } from "../test/bulk-seed";
import type { StoragePaths } from "../storage";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { type TStartRunInput, type TStartRunRequest, ZStartRunInput } from "./run.schema";
import { startRun } from "./start-run";

describe("runs.start for every trainer kind", () => {
  let deps: TestDeps;
  let boss: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let admin: Awaited<ReturnType<typeof createUser>>;
  let caller: Awaited<ReturnType<typeof callerFor>>;
  const ids = { project: "", rankings: "", pairs: "", sft: "", encoder: "", policy: "", reward: "", safety: "" };
  const jobsBy = () => deps.db.job.count({ where: { createdById: admin.id } });

  /** A snapshot row with a file of the size it records, as `createSnapshot` leaves one. */
  async function snapshot(format: string) {
    const rel = path.join("snapshots", `${randomUUID()}.jsonl`);
    const body = '{"prompt":"question"}\n';
    await mkdir(path.join(paths.artifactDir, "snapshots"), { recursive: true });
    await writeFile(path.join(paths.artifactDir, rel), body);
    const row = await deps.db.snapshot.create({
      data: { projectId: ids.project, format, aggregate: "none", filter: {}, rowCount: 1, bytes: BigInt(Buffer.byteLength(body)), sha256: "x", schemaVersion: 1, path: rel },
    });
    return row.id;
  }
  async function model(kind: "base" | "policy" | "reward" | "safety") {
    const dir = path.join(paths.artifactDir, "models", randomUUID());
    await mkdir(dir, { recursive: true });
    return (await deps.db.modelVersion.create({ data: { kind, name: `${kind}-${randomUUID()}`, path: dir } })).id;
  }

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-start-run-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    admin = await createUser(deps, "admin");
    caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    ids.project = (await deps.db.project.create({ data: { name: `start-run-${randomUUID()}`, k: 2, overlap: 1 } })).id;
    ids.rankings = await snapshot("rankings");
    ids.pairs = await snapshot("pairs");
    ids.sft = await snapshot("sft");
    [ids.encoder, ids.policy, ids.reward, ids.safety] = await Promise.all([model("base"), model("policy"), model("reward"), model("safety")]);
    boss = createBoss(deps.databaseUrl, "rlhf-test-start-run");
    await boss.start();
  });

  afterAll(async () => {
    // The queued jobs point at stand-in model folders: later files' workers must not pick them up.
    if (admin) await deps.db.job.updateMany({ where: { createdById: admin.id, state: "queued" }, data: { state: "cancelled" } });
    await boss?.stop({ graceful: false, wait: true });
    await deps?.db.$disconnect();
  });

  const valid = (): TStartRunInput[] =>
    [
      { kind: "train_reward", payload: { snapshotId: ids.rankings, baseModelId: ids.encoder, config: { epochs: 2 } } },
      { kind: "train_safety", payload: { snapshotId: ids.pairs, baseModelId: ids.encoder } },
      { kind: "train_sft", payload: { snapshotId: ids.sft, baseModelId: ids.policy } },
      { kind: "ppo", payload: { policyModelId: ids.policy, rewardModelId: ids.reward, safetyModelId: ids.safety, promptsSnapshotId: ids.rankings, config: { steps: 3, lora_r: 4 } } },
      { kind: "generate", payload: { policyModelId: ids.policy, projectId: ids.project, prompts: ["hello", "world"], config: { temperature: 0.7 } } },
      { kind: "evaluate", payload: { rewardModelId: ids.reward, pairsSnapshotId: ids.pairs } },
    ].map((input) => ZStartRunInput.parse(input));

  it("a safety run pins the project's reward table and its version; an edit bumps the version and is audited", async () => {
    const project = await caller.projects.get({ projectId: ids.project });
    const table = project.rewardTable as Record<string, Record<string, number>>;
    const edited = { ...table, sensitive: { ...table.sensitive!, D: 0.75 } };
    const updated = await caller.projects.update({ projectId: ids.project, changes: { rewardTable: edited as never } });
    expect(updated.rewardTableVersion).toBe(project.rewardTableVersion + 1);
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { target: `project:${ids.project}`, action: "project.update" }, orderBy: { id: "desc" } });
    expect(audit.before).toMatchObject({ rewardTable: { sensitive: { D: table.sensitive!.D } } });
    expect(audit.after).toMatchObject({ rewardTable: { sensitive: { D: 0.75 } } });
    // Saving the same table again is no new version.
    expect((await caller.projects.update({ projectId: ids.project, changes: { rewardTable: edited as never } })).rewardTableVersion).toBe(updated.rewardTableVersion);

    const pinned = await startRun({ db: deps.db, boss, paths }, ZStartRunInput.parse({ kind: "train_safety", payload: { snapshotId: ids.pairs, baseModelId: ids.encoder } }), { createdById: admin.id });
    const row = await deps.db.job.findUniqueOrThrow({ where: { id: pinned.id }, select: { payload: true } });
    expect(row.payload).toMatchObject({ rewardTableVersion: updated.rewardTableVersion, config: { reward_table: edited } });
    const own = { allowed: { A: -1, B: -1, C: -1, D: 1 }, sensitive: { A: 0, B: 0, C: -1, D: 1 }, disallowed: { A: 1, B: 0, C: -1, D: 0 } };
    const named = await startRun({ db: deps.db, boss, paths }, ZStartRunInput.parse({ kind: "train_safety", payload: { snapshotId: ids.pairs, baseModelId: ids.encoder, config: { reward_table: own } } }), { createdById: admin.id });
    const namedRow = await deps.db.job.findUniqueOrThrow({ where: { id: named.id }, select: { payload: true } });
    expect(namedRow.payload).toMatchObject({ config: { reward_table: own } });
    expect((namedRow.payload as { rewardTableVersion?: number }).rewardTableVersion).toBeUndefined();
  });

  it("queues a job for each kind with a valid payload, its inputs pinned", async () => {
    for (const input of valid()) {
      const job = await startRun({ db: deps.db, boss, paths }, input, { createdById: admin.id });
      expect(job).toMatchObject({ kind: input.kind, state: "queued" });
      const row = await deps.db.job.findUniqueOrThrow({ where: { id: job.id }, select: { payload: true, createdById: true } });
      expect(row.createdById).toBe(admin.id);
      expect(row.payload).toMatchObject(JSON.parse(JSON.stringify(input.payload)) as object);
    }
  });

  it("refuses an invalid payload of each kind with a readable message, and queues nothing", async () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: "train_reward", payload: { snapshotId: "nope" } }, /snapshotId must be a snapshot's id/],
      [{ kind: "train_safety", payload: { snapshotId: randomUUID(), epochz: 3 } }, /epochz/],
      [{ kind: "train_sft", payload: { snapshotId: randomUUID(), config: { epochs: 0 } } }, /epochs/],
      [{ kind: "ppo", payload: { promptsSnapshotId: randomUUID() } }, /rewardModelId/],
      [{ kind: "generate", payload: { projectId: randomUUID(), snapshotId: randomUUID(), prompts: ["hi"] } }, /only one of them/],
      [{ kind: "evaluate", payload: {} }, /Evaluate a reward model on a snapshot/],
      [{ kind: "ping", payload: {} }, /kind/],
    ];
    const before = await jobsBy();
    for (const [input, message] of bad) {
      await expect(caller.runs.start(input as TStartRunRequest)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(message) });
    }
    expect(await jobsBy()).toBe(before);
  });

  it("refuses inputs that do not fit before anything is queued", async () => {
    const before = await jobsBy();
    const misfits: [TStartRunInput, RegExp][] = [
      [ZStartRunInput.parse({ kind: "train_sft", payload: { snapshotId: ids.rankings } }), /rankings format/],
      [ZStartRunInput.parse({ kind: "ppo", payload: { rewardModelId: ids.encoder, promptsSnapshotId: ids.rankings } }), /reward model/],
      [ZStartRunInput.parse({ kind: "generate", payload: { projectId: randomUUID(), prompts: ["hi"] } }), /No active project/],
      [ZStartRunInput.parse({ kind: "evaluate", payload: { policyModelId: ids.reward, promptsSnapshotId: ids.rankings } }), /policy/],
    ];
    for (const [input, message] of misfits) {
      await expect(startRun({ db: deps.db, boss, paths }, input, { createdById: admin.id })).rejects.toMatchObject({ message: expect.stringMatching(message) });
    }
    expect(await jobsBy()).toBe(before);
  });

  describe("with a snapshot created from filters", () => {
    const labelled = randomUUID();
    const snapshotsOf = (projectId: string) => deps.db.snapshot.findMany({ where: { projectId }, select: { id: true, format: true, rowCount: true, filter: true } });
    const request = (extra: Record<string, unknown> = {}) => ({ projectId: labelled, request: { format: "rankings" as const, ...extra } });
    // As the router calls it, with this test's queue client and folders (the router's are the web app's).
    const start = (input: TStartRunRequest) => startRun({ db: deps.db, boss, paths }, ZStartRunInput.parse(input), { createdById: admin.id });

    beforeAll(async () => {
      const client = new pg.Client({ connectionString: deps.databaseUrl });
      await client.connect();
      await seedLabelledProject(client, { projectId: labelled, tasks: 12, k: 4, overlap: 1, annotators: 3 });
      await client.end();
    });

    it("freezes the filters into a snapshot and pins it as the run's data", async () => {
      const job = await start({ kind: "train_reward", payload: { baseModelId: ids.encoder }, newSnapshot: request({ reviewState: "pending" }) });
      const [snapshot, ...more] = await snapshotsOf(labelled);
      expect(more).toEqual([]);
      expect(snapshot).toMatchObject({ format: "rankings", rowCount: 12, filter: { reviewState: ["pending"] } });
      const row = await deps.db.job.findUniqueOrThrow({ where: { id: job.id }, select: { payload: true } });
      expect(row.payload).toMatchObject({ snapshotId: snapshot!.id });
      // PPO reads its prompts from the snapshot it creates.
      const ppo = await start({ kind: "ppo", payload: { rewardModelId: ids.reward, policyModelId: ids.policy }, newSnapshot: request() });
      const ppoRow = await deps.db.job.findUniqueOrThrow({ where: { id: ppo.id }, select: { payload: true } });
      expect((await snapshotsOf(labelled)).map((s) => s.id)).toContain((ppoRow.payload as { promptsSnapshotId: string }).promptsSnapshotId);
    });

    it("removes the new snapshot again when the run is refused, and queues nothing", async () => {
      const jobsBefore = await jobsBy();
      const snapshotsBefore = (await snapshotsOf(labelled)).length;
      const refused: [TStartRunRequest, RegExp][] = [
        [{ kind: "train_reward", payload: {}, newSnapshot: request({ promptPolicy: "disallowed" }) }, /No labelled data in this project matches these filters \(rankings\); nothing was started/],
        [{ kind: "train_sft", payload: {}, newSnapshot: request() }, /rankings format/],
        [{ kind: "ppo", payload: { rewardModelId: randomUUID() }, newSnapshot: request() }, /No model version/],
        [{ kind: "train_reward", payload: { snapshotId: ids.rankings }, newSnapshot: request() }, /not both/],
        [{ kind: "generate", payload: { projectId: ids.project, prompts: ["hi"] }, newSnapshot: request() }, /not both/],
        [{ kind: "train_reward", payload: {}, newSnapshot: { projectId: randomUUID(), request: { format: "rankings" } } }, /No project/],
        [{ kind: "train_reward", payload: {} }, /Choose a snapshot/],
      ];
      for (const [input, message] of refused) {
        await expect(start(input)).rejects.toMatchObject({ message: expect.stringMatching(message) });
      }
      expect(await jobsBy()).toBe(jobsBefore);
      expect(await snapshotsOf(labelled)).toHaveLength(snapshotsBefore);
      const files = await readdir(path.join(paths.artifactDir, "snapshots", labelled));
      expect(files).toHaveLength(snapshotsBefore);
    });
  });

  it("generates from the project's current policy when no policy is chosen", async () => {
    await deps.db.project.update({ where: { id: ids.project }, data: { currentPolicyId: ids.policy } });
    const job = await startRun({ db: deps.db, boss, paths }, ZStartRunInput.parse({ kind: "generate", payload: { projectId: ids.project, prompts: ["hi"] } }), { createdById: admin.id });
    const row = await deps.db.job.findUniqueOrThrow({ where: { id: job.id }, select: { payload: true } });
    expect(row.payload).toMatchObject({ policyModelId: ids.policy });
  });
});
