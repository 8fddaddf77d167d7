// One active serve job per model version, also when requests race: the check when a job is queued
// cannot see a job being inserted at the same moment, the database's unique index can.
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelJob, enqueue } from "../jobs/service";
import { createBoss } from "../queue";
import type { StoragePaths } from "../storage";
import { createTestDeps, type TestDeps } from "../test/harness";

describe("serve jobs per model version", () => {
  let deps: TestDeps;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let modelVersionId: string;

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-serve-queue-"));
    paths = { artifactDir: root, modelsDir: path.join(root, "models") };
    const folder = `models/policy-${randomUUID()}`;
    await mkdir(path.join(root, folder), { recursive: true });
    modelVersionId = (await deps.db.modelVersion.create({ data: { name: "policy to serve", kind: "policy", path: folder }, select: { id: true } })).id;
    sender = createBoss(deps.databaseUrl, "rlhf-test-serve-queue");
    await sender.start();
  });

  afterAll(async () => {
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  const active = () => deps.db.job.findMany({ where: { kind: "serve", state: { in: ["queued", "running"] }, payload: { path: ["modelVersionId"], equals: modelVersionId } }, select: { id: true } });

  it("queues exactly one of several serve jobs asked for at once; the others get 409 and leave no row", async () => {
    const tries = await Promise.allSettled(Array.from({ length: 6 }, () => enqueue({ db: deps.db, boss: sender, paths }, "serve", { modelVersionId })));
    const queued = tries.filter((t) => t.status === "fulfilled");
    const refused = tries.filter((t): t is PromiseRejectedResult => t.status === "rejected");
    expect(queued).toHaveLength(1);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r.reason).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already served|queued at the same moment/) });
    expect(await active()).toHaveLength(1);
  });

  it("refuses a second active row even from code that skips the check, and frees the version once the job is cancelled", async () => {
    const [job] = await active();
    const row = () => deps.db.job.create({ data: { kind: "serve", payload: { modelVersionId }, events: { create: { to: "queued" } } } });
    await expect(row()).rejects.toThrow();
    expect(await active()).toHaveLength(1);
    await cancelJob(deps.db, job!.id);
    const again = await enqueue({ db: deps.db, boss: sender, paths }, "serve", { modelVersionId });
    expect((await active()).map((j) => j.id)).toEqual([again.id]);
  });
});
