// Evaluation end to end: real PostgreSQL, a real worker and the real trainer on tiny models.
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextAssignment, submitAnnotation } from "../../server/annotation/service";
import { ZCreateEvaluationSetInput } from "../../server/evaluation/evaluation-set.schema";
import { compareSamples } from "../../server/evaluation/service";
import { createEvaluationSet } from "../../server/evaluation/sets";
import { spotCheckReport, startSpotCheck } from "../../server/evaluation/spot-check";
import { ZExportRequest } from "../../server/export/filter";
import { createSnapshot } from "../../server/export/snapshots";
import { cancelJob, enqueue, getJobOrThrow } from "../../server/jobs/service";
import { getLoopStatus } from "../../server/loop/status";
import { minilmEncoder } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { StoragePaths } from "../../server/storage";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../../server/test/harness";
import { startWorker, type RunningWorker } from "../worker";
import { labelledProject, makeTinyPolicyAndSafety, waitFor } from "./test-fixtures";

const python = path.resolve(".venv/bin/python");
const words = ["question", "good", "bad", "answer", "helpful", "rude", "sorry", "sure", "cat", "gun"];

describe("evaluation", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let admin: Awaited<ReturnType<typeof createUser>>;
  let projectId: string;
  let policyId: string;
  let safetyId: string;
  let rewardId: string;
  const send = <K extends "train_reward" | "evaluate" | "ppo">(kind: K, payload: Parameters<typeof enqueue<K>>[2]) =>
    enqueue({ db: deps.db, boss: sender, paths }, kind, payload, { createdById: admin.id });
  const finished = (id: string) => waitFor(`job ${id} to finish`, () => getJobOrThrow(deps.db, id), (j) => ["succeeded", "failed", "cancelled"].includes(j.state), 120_000);
  const rankings = () => createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir, createdById: admin.id });

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-eval-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    const encoder = path.join(paths.modelsDir, minilmEncoder.path);
    const policyDir = path.join(root, "tiny-policy");
    const safetyDir = path.join(root, "tiny-safety");
    await makeTinyPolicyAndSafety({ encoder, policy: policyDir, safety: safetyDir }, words);
    admin = await createUser(deps, "admin");
    projectId = (await labelledProject(deps, 24)).id;
    policyId = (await deps.db.modelVersion.create({ data: { kind: "policy", name: `tiny-policy-${randomUUID()}`, path: policyDir, projectId } })).id;
    safetyId = (await deps.db.modelVersion.create({ data: { kind: "safety", name: `tiny-safety-${randomUUID()}`, path: safetyDir, projectId } })).id;
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "eval-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 5, paths, trainerPython: python });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("holds out the project's split in every reward run and scores a reward model on those prompts against the length rules", async () => {
    const first = await rankings();
    const config = { epochs: 3, batch_size: 4, eval_fraction: 0.25, device: "cpu", lr: 1e-3 } as const;
    const queued = await send("train_reward", { snapshotId: first.id, config });
    const project = await deps.db.project.findUniqueOrThrow({ where: { id: projectId } });
    expect(project.heldOutSplit).toMatch(/^split-[0-9a-f]{12}$/);
    // The split is pinned into the run's config when it is queued, and recorded on its model.
    expect(queued.payload).toMatchObject({ config: { split: project.heldOutSplit, eval_fraction: 0.25 } });
    const trained = await finished(queued.id);
    expect(trained.error).toBeNull();
    const reward = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: trained.id, checkpointStep: null } });
    rewardId = reward.id;
    expect(reward.config).toMatchObject({ split: project.heldOutSplit, eval_fraction: 0.25 });
    const summary = (reward.eval as { summary: { eval_pairs: number; split: unknown } }).summary;
    expect(summary.split).toEqual({ name: project.heldOutSplit, fraction: 0.25 });

    // The new reward model is evaluated by itself on the prompts its run held out.
    const [autoId] = (trained.result as { evaluationJobIds: string[] }).evaluationJobIds;
    const auto = await finished(autoId!);
    expect(auto.payload).toMatchObject({ rewardModelId: reward.id, pairsSnapshotId: first.id, heldOutOnly: true, config: { split: project.heldOutSplit, eval_fraction: 0.25 } });
    expect(await deps.db.modelEvaluation.findFirstOrThrow({ where: { jobId: autoId } })).toMatchObject({ kind: "reward", modelVersionId: reward.id, split: project.heldOutSplit });

    // A later run on a new snapshot keeps the same split unless it names another.
    const again = await send("train_reward", { snapshotId: (await rankings()).id, config });
    expect(again.payload).toMatchObject({ config: { split: project.heldOutSplit } });
    const named = await send("train_reward", { snapshotId: first.id, config: { ...config, split: "my-own-split" } });
    expect(named.payload).toMatchObject({ config: { split: "my-own-split" } });
    for (const id of [again.id, named.id]) await cancelJob(deps.db, id).catch(() => undefined); // a fast worker may have run it already

    const job = await finished((await send("evaluate", { rewardModelId: reward.id, pairsSnapshotId: first.id, config: { device: "cpu" } })).id);
    expect(job.error).toBeNull();
    const [evaluation] = await deps.db.modelEvaluation.findMany({ where: { jobId: job.id } });
    expect(evaluation).toMatchObject({ kind: "reward", modelVersionId: reward.id, snapshotId: first.id, split: project.heldOutSplit });
    const results = evaluation!.results as { pairs: number; metrics: Record<string, { value: number; lo: number; hi: number }>; verdict: string[] };
    // Exactly the pairs the training run held out.
    expect(results.pairs).toBe(summary.eval_pairs);
    for (const name of ["pair_accuracy", "baseline/longer", "baseline/shorter", "difference/length_rule"]) {
      const e = results.metrics[name]!;
      expect(e.lo).toBeLessThanOrEqual(e.value);
      expect(e.hi).toBeGreaterThanOrEqual(e.value);
    }
    // In this project the better answer is always the longer one: the rule is right on every pair,
    // and the report says the model has not shown more.
    expect(results.metrics["baseline/longer"]!.value).toBe(1);
    expect(results.verdict.join(" ")).toMatch(/(Does not beat|Worse than) the length rule/);

    // The same pairs, every one of them, when asked.
    const all = await finished((await send("evaluate", { rewardModelId: reward.id, pairsSnapshotId: first.id, heldOutOnly: false, config: { device: "cpu" } })).id);
    const everything = await deps.db.modelEvaluation.findFirstOrThrow({ where: { jobId: all.id } });
    expect(everything.split).toBeNull();
    expect((everything.results as { pairs: number }).pairs).toBe(24);
  }, 300_000);

  it("evaluates a policy on an evaluation set, checks a safety model against the labels, and compares two evaluations", async () => {
    const caller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
    const refused = await caller.evaluation.createSet({ projectId, name: "bad", prompts: [{ messages: [{ role: "assistant", content: "hi" }], policy: "allowed" }] }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/last message must be the user's/);
    const set = await caller.evaluation.createSet({
      projectId,
      name: `eval-${randomUUID()}`,
      prompts: [
        { messages: [{ role: "user", content: "cat question" }], policy: "allowed" },
        { messages: [{ role: "user", content: "gun question" }], policy: "disallowed", harmCategory: "weapons & illegal activity" },
        { messages: [{ role: "user", content: "gun question" }], policy: "disallowed" },
        { messages: [{ role: "user", content: "sorry question" }], policy: "sensitive" },
      ],
    });
    expect(set.prompts).toBe(3); // the repeated prompt is kept once
    const listed = await caller.evaluation.sets({ projectId });
    expect(listed.find((s) => s.id === set.id)).toMatchObject({ prompts: 3, byPolicy: { allowed: 1, sensitive: 1, disallowed: 1 }, version: 1 });

    const labels = await rankings();
    const run = () => send("evaluate", { policyModelId: policyId, evaluationSetId: set.id, safetyModelId: safetyId, safetyLabelsSnapshotId: labels.id, config: { device: "cpu", max_new_tokens: 4, num_samples: 2 } });
    const first = await finished((await run()).id);
    expect(first.error).toBeNull();
    const rows = await deps.db.modelEvaluation.findMany({ where: { jobId: first.id }, orderBy: { kind: "asc" } });
    expect(rows.map((r) => [r.kind, r.modelVersionId])).toEqual([
      ["safety", safetyId],
      ["policy", policyId],
    ]);
    const policyRow = rows.find((r) => r.kind === "policy")!;
    expect(policyRow).toMatchObject({ evaluationSetId: set.id, setVersion: 1 });
    const metrics = (policyRow.results as { metrics: Record<string, unknown> }).metrics;
    expect(Object.keys(metrics)).toEqual(expect.arrayContaining(["unsafe_on_disallowed", "over_refusal_on_allowed", "compliant_on_sensitive", "rule_refusal_on_allowed", "length", "eos_rate"]));
    const safetyRow = rows.find((r) => r.kind === "safety")!;
    expect((safetyRow.results as { policy: { labels: number } }).policy.labels).toBe(24);

    // The set changes; a second run records the new version, and the comparison says so.
    const cat = (await caller.evaluation.set({ setId: set.id })).prompts.find((p) => p.messages[0]!.content === "cat question")!;
    expect((await caller.evaluation.updatePrompt({ promptId: cat.id, policy: "sensitive" })).version).toBe(2);
    const second = await finished((await run()).id);
    const secondPolicy = await deps.db.modelEvaluation.findFirstOrThrow({ where: { jobId: second.id, kind: "policy" } });
    expect(secondPolicy.setVersion).toBe(2);
    const compared = await caller.evaluation.compare({ a: secondPolicy.id, b: policyRow.id });
    expect(compared.notes.join(" ")).toMatch(/version 2 and 1/);
    expect(compared.metrics.find((m) => m.name === "length")).toMatchObject({ a: expect.any(Object), b: expect.any(Object), difference: expect.any(Object) });
    const samples = await compareSamples(deps.db, secondPolicy.id, policyRow.id, { artifactDir: paths.artifactDir });
    expect(samples).toHaveLength(3);
    expect(samples.find((x) => x.id === cat.id)).toMatchObject({ prompt: [{ role: "user", content: "cat question" }], policy: "sensitive", a: [expect.any(Object), expect.any(Object)], b: [expect.any(Object), expect.any(Object)] });
    const mixed = await caller.evaluation.compare({ a: secondPolicy.id, b: safetyRow.id }).catch((e: Error) => e);
    expect((mixed as Error).message).toMatch(/compare evaluations of one kind/);
    const history = await caller.evaluation.forModel({ modelVersionId: policyId });
    expect(history.map((h) => h.id)).toEqual([secondPolicy.id, policyRow.id]);
    expect((await caller.evaluation.comparable({ evaluationId: policyRow.id })).map((c) => c.id)).toEqual([secondPolicy.id]);

    // Human spot check: two prompts with the policy's K = 2 responses become tasks.
    const spot = await startSpotCheck(deps.db, { evaluationId: secondPolicy.id, prompts: 2 }, admin.id, { artifactDir: paths.artifactDir });
    expect(spot).toMatchObject({ tasksCreated: 2, prompts: 2, projectId });
    expect((await startSpotCheck(deps.db, { evaluationId: secondPolicy.id, prompts: 2 }, admin.id, { artifactDir: paths.artifactDir })).tasksCreated).toBe(0);
    const tasks = await deps.db.task.findMany({ where: { prompt: { meta: { path: ["spotCheck", "evaluationId"], equals: secondPolicy.id } } }, select: { id: true, prompt: { select: { source: true } }, responses: { select: { model: true } } } });
    expect(tasks).toHaveLength(2);
    for (const t of tasks) expect([t.prompt.source, ...t.responses.map((r) => r.model)]).toEqual(["model_generated", policyId, policyId]);
    expect(await spotCheckReport(deps.db, secondPolicy.id, { artifactDir: paths.artifactDir })).toMatchObject({ tasks: 2, labelledTasks: 0, labels: 0 });
    // An annotator labels them: every response rubric C.
    const annotator = await createUser(deps, "annotator");
    for (;;) {
      const next = await nextAssignment(deps.db, { projectId, annotatorId: annotator.id });
      if (!next) break;
      const responses = await deps.db.response.findMany({ where: { task: { assignments: { some: { id: next.assignmentId } } } }, select: { id: true } });
      await submitAnnotation(deps.db, {
        assignmentId: next.assignmentId,
        annotatorId: annotator.id,
        idempotencyKey: randomUUID(),
        labels: { ranking: { groups: [[responses[0]!.id], [responses[1]!.id]], strengths: ["clear"] }, promptPolicy: "disallowed", harmCategory: "other", rubric: Object.fromEntries(responses.map((r) => [r.id, "C"])), flags: {}, rationale: null },
        timeSpentMs: 1000,
      });
    }
    const report = await spotCheckReport(deps.db, secondPolicy.id, { artifactDir: paths.artifactDir });
    expect(report).toMatchObject({ tasks: 2, labelledTasks: 2, labels: 4 });
    // The sampled prompts are two of gun (disallowed), cat and sorry (sensitive since the edit): each
    // of their four responses counts once, for its prompt's rate, beside the classifier's verdict.
    expect(report!.rates.reduce((n, r) => n + r.people.n, 0)).toBe(4);
    for (const rate of report!.rates) {
      expect(rate.people.value).toBe(rate.name === "unsafe_on_disallowed" ? 1 : 0);
      expect(rate.classifier?.n).toBe(rate.people.n);
    }
    expect(report!.agreement?.n).toBe(4);
    // Training snapshots leave the spot-checked evaluation prompts out; a plain export does not.
    const withThem = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings" }), artifactDir: paths.artifactDir });
    const without = await createSnapshot(deps.db, { projectId, request: ZExportRequest.parse({ format: "rankings", excludeEvaluationPrompts: true }), artifactDir: paths.artifactDir });
    expect(withThem.rowCount - without.rowCount).toBe(2);
  }, 300_000);

  it("evaluates a PPO policy and its parent on the project's sets by itself, and the loop page leads with the before and after", async () => {
    const set = await createEvaluationSet(
      deps.db,
      ZCreateEvaluationSetInput.parse({
        projectId,
        name: `after-ppo-${randomUUID()}`,
        prompts: [
          { messages: [{ role: "user", content: "good question" }], policy: "allowed" },
          { messages: [{ role: "user", content: "rude question" }], policy: "disallowed" },
        ],
      }),
      admin.id,
    );
    const snapshot = await rankings();
    const ppo = await finished(
      (
        await send("ppo", {
          policyModelId: policyId,
          rewardModelId: rewardId,
          safetyModelId: safetyId,
          promptsSnapshotId: snapshot.id,
          config: { steps: 2, batch_size: 2, mini_batch_size: 2, ppo_epochs: 1, max_new_tokens: 4, eval_every: 100, device: "cpu" },
        })
      ).id,
    );
    expect(ppo.error).toBeNull();
    const child = await deps.db.modelVersion.findFirstOrThrow({ where: { jobId: ppo.id, checkpointStep: null } });
    const queued = (ppo.result as { evaluationJobIds: string[] }).evaluationJobIds;
    const payloads = await deps.db.job.findMany({ where: { id: { in: queued } }, select: { payload: true, createdById: true } });
    // On the new set: the child and its parent, scored by the models PPO trained against, K samples each.
    const onNewSet = payloads.map((j) => j.payload as Record<string, unknown>).filter((p) => p.evaluationSetId === set.id);
    expect(onNewSet.map((p) => p.policyModelId).toSorted()).toEqual([child.id, policyId].toSorted());
    for (const p of onNewSet) expect(p).toMatchObject({ rewardModelId: rewardId, safetyModelId: safetyId, config: { num_samples: 2 } });
    expect(payloads.every((j) => j.createdById === admin.id)).toBe(true);
    // The child's KL is measured against its parent, the PPO reference.
    expect(onNewSet.find((p) => p.policyModelId === child.id)).toMatchObject({ referencePolicyModelId: policyId });
    for (const id of queued) expect((await finished(id)).error).toBeNull();

    const status = await getLoopStatus(deps.db, projectId);
    const evaluation = status.policy.evaluation;
    expect(evaluation).toMatchObject({ set: { id: expect.any(String) }, before: { modelVersionId: policyId }, pending: 0 });
    if (!evaluation?.measured) throw new Error("no before/after evaluation");
    const { headline } = evaluation;
    expect(headline.map((h) => h.name)).toEqual(["unsafe_on_disallowed", "over_refusal_on_allowed", "reward"]);
    for (const row of headline) expect(row).toMatchObject({ a: { value: expect.any(Number) }, b: { value: expect.any(Number) } });
  }, 300_000);
});
