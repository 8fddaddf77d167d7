import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importJsonl } from "../import/service";
import { callerFor, createTestDeps, createUser, signIn, type TestDeps } from "../test/harness";
import { recordAcquisition } from "./service";

async function projectWithTasks(deps: TestDeps, prompts: unknown[]) {
  const project = await deps.db.project.create({ data: { name: `acq-${randomUUID()}`, k: 2 } });
  await importJsonl(deps.db, {
    projectId: project.id,
    layout: "tasks",
    chunks: (async function* () {
      yield prompts.map((prompt, i) => JSON.stringify({ prompt, responses: [`a${i}`, `b${i}`] })).join("\n");
    })(),
    strict: true,
    filename: null,
    createdById: null,
  });
  // One import gives its tasks one createdAt: each row's task is found by its own responses instead.
  const tasks = await deps.db.task.findMany({ where: { projectId: project.id }, select: { id: true, responses: { select: { content: true } } } });
  const taskIds = prompts.map((_, i) => tasks.find((t) => t.responses.some((r) => r.content === `a${i}`))!.id);
  return { project, taskIds };
}

async function errorOf(p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TRPCError);
  return err as TRPCError;
}

describe("labelling order and acquisitions", () => {
  let deps: TestDeps;
  let admin: Awaited<ReturnType<typeof createUser>>;
  let adminCaller: Awaited<ReturnType<typeof callerFor>>;
  beforeAll(async () => {
    deps = createTestDeps();
    admin = await createUser(deps, "admin");
    adminCaller = await callerFor(deps, await signIn(deps, admin.email, admin.password));
  });
  afterAll(() => deps.db.$disconnect());

  it("refuses uncertainty order while no acquisition has succeeded, and changes nothing", async () => {
    const { project, taskIds } = await projectWithTasks(deps, ["q1", "q2"]);
    // A run that failed (or is still running) does not count, even with rows.
    const failed = await deps.db.job.create({ data: { kind: "acquire", payload: { projectId: project.id, config: {} }, state: "failed" } });
    await recordAcquisition(deps.db, { jobId: failed.id, projectId: project.id, scores: [{ taskId: taskIds[1]!, score: 1, disagreement: 1, margin: 0, borderline: null }] });

    const err = await errorOf(adminCaller.acquisition.setTaskOrder({ projectId: project.id, order: "uncertainty" }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toMatch(/No acquisition run has scored this project's tasks yet: start an acquire run/);
    expect((await deps.db.project.findUniqueOrThrow({ where: { id: project.id } })).taskOrder).toBe("imported");
    expect(await deps.db.task.count({ where: { projectId: project.id, priority: { not: 0 } } })).toBe(0);
    expect(await deps.db.auditLog.count({ where: { target: `project:${project.id}`, action: "project.taskOrder" } })).toBe(0);

    const bad = await errorOf(adminCaller.acquisition.setTaskOrder({ projectId: project.id, order: "random" as never }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("order is imported or uncertainty");
    const missing = await errorOf(adminCaller.acquisition.setTaskOrder({ projectId: randomUUID(), order: "imported" }));
    expect(missing.code).toBe("NOT_FOUND");
  });

  it("only admins switch the order; reviewers on the project read the latest acquisition", async () => {
    const { project } = await projectWithTasks(deps, ["q1", "q2"]);
    const reviewer = await createUser(deps, "reviewer");
    await deps.db.projectMember.create({ data: { projectId: project.id, userId: reviewer.id } });
    const reviewerCaller = await callerFor(deps, await signIn(deps, reviewer.email, reviewer.password));
    expect((await errorOf(reviewerCaller.acquisition.setTaskOrder({ projectId: project.id, order: "imported" }))).code).toBe("FORBIDDEN");
    expect(await reviewerCaller.acquisition.latest({ projectId: project.id })).toEqual({ taskOrder: "imported", job: null, tasks: 0, top: [] });
    const outsider = await createUser(deps, "reviewer");
    const outsiderCaller = await callerFor(deps, await signIn(deps, outsider.email, outsider.password));
    expect((await errorOf(outsiderCaller.acquisition.latest({ projectId: project.id }))).code).toBe("FORBIDDEN");
  });

  it("applies the latest succeeded acquisition when switched to uncertainty, resets when switched back, and audits both", async () => {
    const long = `${"x".repeat(300)} <script>alert(1)</script>`;
    const { project, taskIds } = await projectWithTasks(deps, [
      "first",
      [
        { role: "user", content: "earlier turn" },
        { role: "assistant", content: "reply" },
        { role: "user", content: "the question that counts" },
      ],
      long,
    ]);
    const [t0, t1, t2] = taskIds as [string, string, string];
    const older = await deps.db.job.create({ data: { kind: "acquire", payload: { projectId: project.id, config: {} }, state: "succeeded", finishedAt: new Date(Date.now() - 60_000) } });
    await recordAcquisition(deps.db, { jobId: older.id, projectId: project.id, scores: [{ taskId: t0, score: 9, disagreement: 9, margin: 0, borderline: null }] });
    const ensemble = [randomUUID(), randomUUID()];
    const latest = await deps.db.job.create({
      data: { kind: "acquire", payload: { projectId: project.id, rewardModelIds: ensemble, config: {} }, state: "succeeded", finishedAt: new Date() },
    });
    const stored = await recordAcquisition(deps.db, {
      jobId: latest.id,
      projectId: project.id,
      // The trainer's order is by score; stored ranks follow the score whatever the file's order. A task
      // deleted since the pool was written is left out.
      scores: [
        { taskId: t2, score: 0.2, disagreement: 0.5, margin: 0.3, borderline: 0.1 },
        { taskId: t1, score: 0.7, disagreement: 0.4, margin: 0.1, borderline: 0.9 },
        { taskId: randomUUID(), score: 0.9, disagreement: 0.9, margin: 0, borderline: null },
        { taskId: t0, score: 0.1, disagreement: 0.1, margin: 1.2, borderline: 0 },
      ],
    });
    expect(stored).toEqual({ stored: 3, unknownTasks: 1, applied: false, prioritised: 0 });
    const rows = await deps.db.taskAcquisition.findMany({ where: { jobId: latest.id }, orderBy: { rank: "asc" } });
    expect(rows.map((r) => [r.taskId, r.rank])).toEqual([
      [t1, 1],
      [t2, 2],
      [t0, 3],
    ]);

    const switched = await adminCaller.acquisition.setTaskOrder({ projectId: project.id, order: "uncertainty" });
    expect(switched).toMatchObject({ taskOrder: "uncertainty", changed: true, acquisitionJobId: latest.id, prioritised: 3 });
    const priorities = async () =>
      Object.fromEntries((await deps.db.task.findMany({ where: { projectId: project.id }, select: { id: true, priority: true } })).map((t) => [t.id, t.priority]));
    expect(await priorities()).toEqual({ [t0]: 0.1, [t1]: 0.7, [t2]: 0.2 });
    expect((await adminCaller.projects.get({ projectId: project.id })).taskOrder).toBe("uncertainty");
    // Switching to the order already set changes and logs nothing.
    expect(await adminCaller.acquisition.setTaskOrder({ projectId: project.id, order: "uncertainty" })).toMatchObject({ changed: false });

    // The console's table: highest disagreement first, with rank, excerpt of the last user message, and the job.
    const view = await adminCaller.acquisition.latest({ projectId: project.id, limit: 2 });
    expect(view.job).toMatchObject({ id: latest.id, rewardModelIds: ensemble, safetyModelId: null });
    expect(view.tasks).toBe(3);
    expect(view.top.map((r) => [r.taskId, r.rank, r.excerpt])).toEqual([
      [t2, 2, `${long.slice(0, 200)}…`],
      [t1, 1, "the question that counts"],
    ]);
    expect(view.top[1]).toMatchObject({ disagreement: 0.4, margin: 0.1, borderline: 0.9, priority: 0.7, annotationCount: 0 });

    await adminCaller.acquisition.setTaskOrder({ projectId: project.id, order: "imported" });
    expect(await priorities()).toEqual({ [t0]: 0, [t1]: 0, [t2]: 0 });
    const logs = await deps.db.auditLog.findMany({ where: { target: `project:${project.id}`, action: "project.taskOrder" }, orderBy: { id: "asc" } });
    expect(logs.map((l) => [l.actorId, l.projectId, l.before, l.after])).toEqual([
      [admin.id, project.id, { taskOrder: "imported" }, { taskOrder: "uncertainty", acquisitionJobId: latest.id, prioritised: 3 }],
      [admin.id, project.id, { taskOrder: "uncertainty" }, { taskOrder: "imported" }],
    ]);

    // Deleting the run deletes its scores.
    await deps.db.job.delete({ where: { id: latest.id } });
    expect(await deps.db.taskAcquisition.count({ where: { jobId: latest.id } })).toBe(0);
  });

  it("a retried acquisition replaces its own rows instead of adding to them", async () => {
    const { project, taskIds } = await projectWithTasks(deps, ["q1", "q2"]);
    const job = await deps.db.job.create({ data: { kind: "acquire", payload: { projectId: project.id, config: {} }, state: "running" } });
    const scores = taskIds.map((taskId, i) => ({ taskId, score: i, disagreement: i, margin: 0, borderline: null }));
    await recordAcquisition(deps.db, { jobId: job.id, projectId: project.id, scores });
    await recordAcquisition(deps.db, { jobId: job.id, projectId: project.id, scores });
    expect(await deps.db.taskAcquisition.count({ where: { jobId: job.id } })).toBe(2);
  });
});
