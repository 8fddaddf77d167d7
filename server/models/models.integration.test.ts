import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";

describe("model registry", () => {
  let deps: TestDeps;
  let adminCookie: string;
  let reviewerCookie: string;
  let projectId: string;
  let snapshotId: string;
  const ids = {} as Record<"base" | "reward" | "safety" | "sft" | "policy" | "rewardJob" | "policyJob", string>;

  beforeAll(async () => {
    deps = createTestDeps();
    const admin = await createUser(deps, "admin");
    adminCookie = await signIn(deps, admin.email, admin.password);
    const reviewer = await createUser(deps, "reviewer");
    reviewerCookie = await signIn(deps, reviewer.email, reviewer.password);
    projectId = (await deps.db.project.create({ data: { name: `models-${randomUUID()}` } })).id;
    snapshotId = (
      await deps.db.snapshot.create({
        data: { projectId, format: "pairs", aggregate: "none", filter: {}, rowCount: 10, bytes: 100, sha256: "x", schemaVersion: 1, path: "snapshots/x.jsonl" },
      })
    ).id;
    const db = deps.db;
    ids.rewardJob = (await db.job.create({ data: { kind: "train_reward", payload: {}, state: "succeeded" } })).id;
    ids.policyJob = (await db.job.create({ data: { kind: "ppo", payload: {}, state: "succeeded" } })).id;
    ids.base = (await db.modelVersion.create({ data: { kind: "base", name: `base-${randomUUID()}`, path: "/nowhere" } })).id;
    ids.reward = (
      await db.modelVersion.create({
        data: { kind: "reward", name: `reward-${randomUUID()}`, path: "runs/r/model", parentId: ids.base, snapshotId, jobId: ids.rewardJob, projectId, eval: { pair_accuracy: 0.75, step: 4 } },
      })
    ).id;
    ids.safety = (await db.modelVersion.create({ data: { kind: "safety", name: `safety-${randomUUID()}`, path: "runs/s/model", parentId: ids.base, snapshotId, projectId } })).id;
    ids.sft = (await db.modelVersion.create({ data: { kind: "sft", name: `sft-${randomUUID()}`, path: "runs/t/model", projectId } })).id;
    ids.policy = (
      await db.modelVersion.create({
        data: {
          kind: "policy",
          name: `policy-${randomUUID()}`,
          path: "runs/p/model",
          parentId: ids.sft,
          rewardModelId: ids.reward,
          safetyModelId: ids.safety,
          jobId: ids.policyJob,
          projectId,
          eval: { reward_mean: 1.2, kl: 0.05 },
        },
      })
    ).id;
  });

  afterAll(() => deps.db.$disconnect());

  // This registry's project has no evaluation set, so promotions past the first need an override.
  const override = "No evaluation set in this registry fixture";

  it("gets a policy with its lineage: parent chain, reward and safety models with their snapshot, the job and the eval", async () => {
    const caller = await callerFor(deps, adminCookie);
    const m = await caller.models.get({ modelVersionId: ids.policy });
    expect(m.parents.map((p) => p.id)).toEqual([ids.sft]);
    expect(m.rewardModel).toMatchObject({ id: ids.reward, jobId: ids.rewardJob, snapshot: { id: snapshotId } });
    expect(m.safetyModel).toMatchObject({ id: ids.safety, snapshot: { id: snapshotId } });
    expect(m.job).toMatchObject({ id: ids.policyJob, kind: "ppo" });
    expect(m.headline).toEqual([
      { name: "reward_mean", value: 1.2 },
      { name: "kl", value: 0.05 },
    ]);
    const reward = await caller.models.get({ modelVersionId: ids.reward });
    expect(reward.parents.map((p) => p.id)).toEqual([ids.base]);
    expect(reward.snapshot).toMatchObject({ id: snapshotId, rowCount: 10 });
    await expect(caller.models.get({ modelVersionId: randomUUID() })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("promotes a policy to the project's current policy and writes an audit row", async () => {
    const caller = await callerFor(deps, adminCookie);
    // The SFT model has no baseline (no current policy, no parent policy); the policy is judged
    // against it, and this project has no evaluation set: its gates are not measured.
    await caller.models.promote({ modelVersionId: ids.sft, projectId });
    await expect(caller.models.promote({ modelVersionId: ids.policy, projectId })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/has no evaluation set/) });
    const result = await caller.models.promote({ modelVersionId: ids.policy, projectId, overrideReason: override });
    expect(result.currentPolicyId).toBe(ids.policy);
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(ids.policy);
    const audit = await deps.db.auditLog.findMany({ where: { target: `project:${projectId}`, action: "model.promote" }, orderBy: { id: "asc" } });
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ before: { currentPolicyId: ids.sft }, after: { currentPolicyId: ids.policy, overrideReason: override } });
    const listed = await caller.models.list({ limit: 500 });
    expect(listed.find((v) => v.id === ids.policy)?.currentPolicyOf).toEqual([{ id: projectId, name: expect.any(String) }]);
  });

  it("refuses to promote a reward model, with a message that says why", async () => {
    const caller = await callerFor(deps, adminCookie);
    const err = await caller.models.promote({ modelVersionId: ids.reward, projectId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/is a reward model; only a policy or SFT model/) });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(ids.policy);
  });

  it("lists a run's checkpoints as versions, leaves pruned ones out unless asked, and refuses to promote a pruned one", async () => {
    const caller = await callerFor(deps, adminCookie);
    const checkpoint = (step: number, prunedAt: Date | null) =>
      deps.db.modelVersion.create({
        data: { kind: "policy", name: `ckpt-${randomUUID()}@step-${step}`, path: `runs/p/checkpoints/step-${step}/model`, checkpointStep: step, prunedAt, jobId: ids.policyJob, parentId: ids.sft, projectId },
      });
    const pruned = await checkpoint(10, new Date());
    const kept = await checkpoint(20, null);
    const listedIds = async (input: { checkpoints?: boolean; pruned?: boolean }) => (await caller.models.list({ limit: 500, ...input })).map((v) => v.id);
    expect(await listedIds({})).toEqual(expect.arrayContaining([kept.id, ids.policy]));
    expect(await listedIds({})).not.toContain(pruned.id);
    expect(await listedIds({ pruned: true })).toEqual(expect.arrayContaining([kept.id, pruned.id]));
    const finals = await listedIds({ checkpoints: false });
    expect(finals).toContain(ids.policy);
    expect(finals).not.toContain(kept.id);

    const err = await caller.models.promote({ modelVersionId: pruned.id, projectId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/is a checkpoint \(step 10\) whose folder the trainer has removed/) });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(ids.policy);
    await caller.models.promote({ modelVersionId: kept.id, projectId, overrideReason: override });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(kept.id);
    await caller.models.promote({ modelVersionId: ids.policy, projectId, overrideReason: override });
  });

  it("forbids a reviewer from promoting", async () => {
    const caller = await callerFor(deps, reviewerCookie);
    await expect(caller.models.promote({ modelVersionId: ids.sft, projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
