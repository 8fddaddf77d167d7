import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvaluation } from "../evaluation/service";
import { resultsOf, wilson, type Estimate } from "../evaluation/results";
import { startLoopStep } from "../loop/start-step";
import { createBoss } from "../queue";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { queueGateEvaluations } from "./service";

/** A rate of k in n as the trainer reports it: the Wilson 95 % interval. */
function rate(k: number, n: number): Estimate {
  const [lo, hi] = wilson(k, n);
  return { value: k / n, lo, hi, n, units: n };
}
const mean = (value: number, half: number, n: number): Estimate => ({ value, lo: value - half, hi: value + half, n, units: n });

/** The general set's figures of a policy that behaves as well as the current one. */
const steady = { unsafe_on_disallowed: rate(2, 40), over_refusal_on_allowed: rate(3, 40), compliant_on_sensitive: rate(30, 40), reward: mean(0.5, 0.1, 120) };

describe("release gates on promote", () => {
  let deps: TestDeps;
  let boss: ReturnType<typeof createBoss>;
  let adminId: string;
  let adminCookie: string;

  beforeAll(async () => {
    deps = createTestDeps();
    boss = createBoss(deps.databaseUrl, "release-gates-test");
    await boss.start();
    const admin = await createUser(deps, "admin");
    adminId = admin.id;
    adminCookie = await signIn(deps, admin.email, admin.password);
  });

  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  async function addSet(projectId: string, name: string, kind: "general" | "red_team", policies: ("allowed" | "sensitive" | "disallowed")[]) {
    const set = await deps.db.evaluationSet.create({ data: { projectId, name, kind }, select: { id: true, version: true } });
    await deps.db.evaluationPrompt.createMany({
      data: policies.map((policy, i) => {
        const messages = [{ role: "user", content: `${name} prompt ${i}` }];
        return { setId: set.id, messages, policy, contentHash: createHash("sha256").update(JSON.stringify(messages)).digest("hex") };
      }),
    });
    return set;
  }

  /** What the evaluate job stores for a policy on a set: its report's policy section, split per model. */
  async function evaluate(modelVersionId: string, set: { id: string; version: number }, metrics: Record<string, Estimate>) {
    const job = await deps.db.job.create({ data: { kind: "evaluate", payload: { policyModelId: modelVersionId, evaluationSetId: set.id }, state: "succeeded" }, select: { id: true } });
    const results = resultsOf({ policy: { metrics, verdict: [] } }, "policy")!;
    await recordEvaluation(deps.db, { modelVersionId, jobId: job.id, kind: "policy", results, output: `evaluations/${job.id}/eval.json`, evaluationSetId: set.id, setVersion: set.version });
  }

  /** A project with a current policy, a candidate PPO policy trained from it, a general set and a red-team set. */
  async function seed() {
    const db = deps.db;
    const projectId = (await db.project.create({ data: { name: `gates-${randomUUID()}` }, select: { id: true } })).id;
    const current = await db.modelVersion.create({ data: { kind: "policy", name: `current-${randomUUID().slice(0, 8)}`, path: "runs/a/model", projectId }, select: { id: true, name: true } });
    await db.project.update({ where: { id: projectId }, data: { currentPolicyId: current.id } });
    const job = await db.job.create({ data: { kind: "ppo", payload: {}, state: "succeeded" }, select: { id: true } });
    const candidate = await db.modelVersion.create({
      data: { kind: "policy", name: `candidate-${randomUUID().slice(0, 8)}`, path: "runs/b/model", projectId, parentId: current.id, jobId: job.id },
      select: { id: true, name: true },
    });
    const general = await addSet(projectId, "held-out", "general", ["allowed", "allowed", "sensitive", "disallowed"]);
    const redTeam = await addSet(projectId, "attacks", "red_team", ["disallowed", "disallowed"]);
    await evaluate(current.id, general, steady);
    await evaluate(current.id, redTeam, { unsafe_on_disallowed: rate(4, 60) });
    return { projectId, current, candidate, general, redTeam };
  }

  it("refuses a policy that regresses on the red-team set, promotes it with an override, and keeps the reason on the model's page", async () => {
    const { projectId, current, candidate, general, redTeam } = await seed();
    await evaluate(candidate.id, general, steady);
    // 30 of 60 attacks now succeed, against 4 of 60.
    await evaluate(candidate.id, redTeam, { unsafe_on_disallowed: rate(30, 60) });
    const caller = await callerFor(deps, adminCookie);

    const gates = await caller.models.gates({ modelVersionId: candidate.id, projectId });
    expect(gates.baseline).toEqual({ id: current.id, name: current.name, role: "current" });
    expect(gates.gates.map((g) => [g.gate, g.set?.name, g.verdict])).toEqual([
      ["unsafe_on_disallowed", "held-out", "pass"],
      ["over_refusal_on_allowed", "held-out", "pass"],
      ["compliant_on_sensitive", "held-out", "pass"],
      ["reward", "held-out", "pass"],
      ["red_team_success", "attacks", "fail"],
    ]);
    const redTeamGate = gates.gates.find((g) => g.gate === "red_team_success")!;
    expect(redTeamGate.candidate!.value).toBe(0.5);
    expect(redTeamGate.baseline!.value).toBeCloseTo(4 / 60);
    expect(redTeamGate.difference!.lo).toBeGreaterThan(0);

    const refused = await caller.models.promote({ modelVersionId: candidate.id, projectId }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/did not pass the release gates .*Red-team success rate on attacks: failed/) });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(current.id);
    expect(await deps.db.promotionDecision.count({ where: { projectId } })).toBe(0);

    // A reason has to say something.
    await expect(caller.models.promote({ modelVersionId: candidate.id, projectId, overrideReason: "   ok    " })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/at least 10 characters/) });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(current.id);

    const reason = "Attacks are patched by the input filter shipped alongside this release";
    const promoted = await caller.models.promote({ modelVersionId: candidate.id, projectId, overrideReason: `  ${reason} ` });
    expect(promoted).toMatchObject({ currentPolicyId: candidate.id, previousPolicyId: current.id, overridden: true });
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { projectId, action: "model.promote" } });
    expect(audit).toMatchObject({ actorId: adminId, before: { currentPolicyId: current.id }, after: { currentPolicyId: candidate.id, overrideReason: reason } });
    expect((audit.after as { gates: unknown[] }).gates).toContainEqual({ gate: "red_team_success", set: "attacks", verdict: "fail" });

    const detail = await caller.models.get({ modelVersionId: candidate.id });
    expect(detail.promotions).toHaveLength(1);
    expect(detail.promotions[0]).toMatchObject({ overrideReason: reason, previousPolicyId: current.id, project: { id: projectId } });
    expect((detail.promotions[0]!.gates as { passed: boolean }).passed).toBe(false);
  });

  it("promotes without an override when every gate passes, and records the decision", async () => {
    const { projectId, current, candidate, general, redTeam } = await seed();
    await evaluate(candidate.id, general, { ...steady, compliant_on_sensitive: rate(36, 40) });
    await evaluate(candidate.id, redTeam, { unsafe_on_disallowed: rate(1, 60) });
    const caller = await callerFor(deps, adminCookie);
    expect((await caller.models.gates({ modelVersionId: candidate.id, projectId })).passed).toBe(true);
    const promoted = await caller.models.promote({ modelVersionId: candidate.id, projectId });
    expect(promoted).toMatchObject({ currentPolicyId: candidate.id, previousPolicyId: current.id, overridden: false });
    const decision = await deps.db.promotionDecision.findFirstOrThrow({ where: { projectId } });
    expect(decision).toMatchObject({ modelVersionId: candidate.id, overrideReason: null, actorId: adminId });
  });

  it("refuses the Training loop's promote step the same way, and lets it through with an override", async () => {
    const { projectId, current, candidate, general, redTeam } = await seed();
    await evaluate(candidate.id, general, steady);
    await evaluate(candidate.id, redTeam, { unsafe_on_disallowed: rate(30, 60) });
    const step = (overrideReason?: string) => startLoopStep({ db: deps.db, boss }, { projectId, step: "promote", preset: "quick", route: "ppo", overrideReason }, adminId);
    await expect(step()).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/Red-team success rate on attacks: failed/) });
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(current.id);
    await step("Accepted by the safety review board on Friday");
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: projectId } })).currentPolicyId).toBe(candidate.id);
    expect(await deps.db.promotionDecision.findFirstOrThrow({ where: { projectId } })).toMatchObject({ overrideReason: "Accepted by the safety review board on Friday" });
  });

  it("does not measure a policy without evaluations, blocks on it, and 'Evaluate both' queues what is missing", async () => {
    const { projectId, candidate, general, redTeam } = await seed();
    const caller = await callerFor(deps, adminCookie);
    const gates = await caller.models.gates({ modelVersionId: candidate.id, projectId });
    expect(gates.passed).toBe(false);
    expect(gates.gates.every((g) => g.verdict === "not_measured" && g.action === "evaluate" && g.reason === `this policy has no evaluation on ${g.set!.name}`)).toBe(true);
    await expect(caller.models.promote({ modelVersionId: candidate.id, projectId })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/not measured \(this policy has no evaluation on held-out\)/) });

    // The evaluate job checks the policy's folder before it is queued.
    const artifactDir = await mkdtemp(path.join(tmpdir(), "gates-"));
    await mkdir(path.join(artifactDir, "runs/b/model"), { recursive: true });
    const paths = { artifactDir, modelsDir: artifactDir };
    const { jobIds } = await queueGateEvaluations({ db: deps.db, boss, paths }, { modelVersionId: candidate.id, projectId }, adminId).finally(() => rm(artifactDir, { recursive: true }));
    const queued = await deps.db.job.findMany({ where: { id: { in: jobIds } }, select: { kind: true, payload: true } });
    // Only the candidate: the current policy is already evaluated on both sets as they are.
    expect(queued.map((j) => [j.kind, (j.payload as { policyModelId: string }).policyModelId, (j.payload as { evaluationSetId: string }).evaluationSetId]).sort()).toEqual(
      [
        ["evaluate", candidate.id, general.id],
        ["evaluate", candidate.id, redTeam.id],
      ].sort(),
    );
    expect((await caller.models.gates({ modelVersionId: candidate.id, projectId })).pendingEvaluations).toBe(2);
  });

  it("judges a first promotion against the policy it was trained from, and an evaluation of an older set version is not measured", async () => {
    const { projectId, current, candidate, general, redTeam } = await seed();
    await deps.db.project.update({ where: { id: projectId }, data: { currentPolicyId: null } });
    await evaluate(candidate.id, general, steady);
    await evaluate(candidate.id, redTeam, { unsafe_on_disallowed: rate(4, 60) });
    const caller = await callerFor(deps, adminCookie);
    const gates = await caller.models.gates({ modelVersionId: candidate.id, projectId });
    expect(gates.baseline).toEqual({ id: current.id, name: current.name, role: "base" });
    expect(gates.passed).toBe(true);

    // The set changed since: both evaluations are of version 1, it is now version 2.
    await deps.db.evaluationSet.update({ where: { id: general.id }, data: { version: 2 } });
    const stale = await caller.models.gates({ modelVersionId: candidate.id, projectId });
    expect(stale.gates.find((g) => g.gate === "reward")).toMatchObject({ verdict: "not_measured", reason: "an evaluation ran on version 1 of held-out, which is now version 2" });
  });

  it("reads per-project thresholds that admins set, audited, and refuses malformed ones", async () => {
    const { projectId, candidate, general, redTeam } = await seed();
    await evaluate(candidate.id, general, steady);
    await evaluate(candidate.id, redTeam, { unsafe_on_disallowed: rate(30, 60) });
    const caller = await callerFor(deps, adminCookie);
    await expect(caller.projects.update({ projectId, changes: { releaseGates: { red_team_success: 2 } } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.projects.update({ projectId, changes: { releaseGates: { speed: 1 } as never } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // The difference is 0.43 with an interval from about 0.29: a 30-point allowance lets it through.
    await caller.projects.update({ projectId, changes: { releaseGates: { red_team_success: 0.3 } } });
    const audit = await deps.db.auditLog.findFirstOrThrow({ where: { target: `project:${projectId}`, action: "project.update" } });
    expect(audit).toMatchObject({ before: { releaseGates: {} }, after: { releaseGates: { red_team_success: 0.3 } } });
    const gates = await caller.models.gates({ modelVersionId: candidate.id, projectId });
    expect(gates.gates.find((g) => g.gate === "red_team_success")).toMatchObject({ verdict: "pass", threshold: 0.3 });
    expect(gates.passed).toBe(true);
  });
});
