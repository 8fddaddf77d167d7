import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAcquisition, setTaskOrder } from "../acquisition/service";
import { Prisma } from "../generated/prisma/client";
import { importJsonl } from "../import/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { candidateQuery, getAssignmentView, nextAssignment, submitAnnotation } from "./service";

async function makeProject(deps: TestDeps, opts: { tasks: number; overlap: number; goldRate?: number }) {
  const project = await deps.db.project.create({ data: { name: `order-${randomUUID()}`, k: 2, overlap: opts.overlap, goldRate: opts.goldRate ?? 0 } });
  const tag = randomUUID();
  const rows = Array.from({ length: opts.tasks }, (_, i) => JSON.stringify({ prompt: `Question ${i} (${tag})`, responses: [`A${i}`, `B${i}`] }));
  await importJsonl(deps.db, {
    projectId: project.id,
    layout: "tasks",
    chunks: (async function* () {
      yield rows.join("\n");
    })(),
    strict: true,
    filename: null,
    createdById: null,
  });
  // Oldest first: the order `imported` serves them in.
  const tasks = await deps.db.task.findMany({ where: { projectId: project.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { id: true } });
  return { project, taskIds: tasks.map((t) => t.id) };
}

/** A succeeded acquisition run that scored the tasks as given. */
async function acquisition(deps: TestDeps, projectId: string, scores: Record<string, number>) {
  const job = await deps.db.job.create({ data: { kind: "acquire", payload: { projectId, config: {} }, state: "succeeded", finishedAt: new Date() } });
  await recordAcquisition(deps.db, {
    jobId: job.id,
    projectId,
    scores: Object.entries(scores).map(([taskId, score]) => ({ taskId, score, disagreement: score, margin: 0.1, borderline: null })),
  });
  return job;
}

async function takeTask(deps: TestDeps, projectId: string, annotatorId: string) {
  const next = await nextAssignment(deps.db, { projectId, annotatorId });
  if (!next) return null;
  const a = await deps.db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId }, select: { taskId: true } });
  return { assignmentId: next.assignmentId, taskId: a.taskId };
}

async function label(deps: TestDeps, annotatorId: string, assignmentId: string) {
  const view = await getAssignmentView(deps.db, { assignmentId, annotatorId });
  const ids = view.responses.map((r) => r.id);
  await submitAnnotation(deps.db, {
    assignmentId,
    annotatorId,
    idempotencyKey: randomUUID(),
    labels: { ranking: { groups: ids.map((id) => [id]), strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
    timeSpentMs: 1000,
  });
}

describe("labelling order", () => {
  let deps: TestDeps;
  let admin: { id: string };
  beforeAll(async () => {
    deps = createTestDeps();
    admin = await createUser(deps, "admin");
  });
  afterAll(() => deps.db.$disconnect());

  it("serves the highest-priority unlabelled task first only in uncertainty order", async () => {
    const { project, taskIds } = await makeProject(deps, { tasks: 5, overlap: 1 });
    const [t0, t1, t2, t3] = taskIds as [string, string, string, string, string];
    await acquisition(deps, project.id, { [t3]: 0.9, [t1]: 0.5, [t2]: 0.1, [t0]: 0.05 });

    // Imported order: the scores are stored but nothing is prioritised.
    expect((await deps.db.task.findMany({ where: { projectId: project.id, priority: { not: 0 } } })).length).toBe(0);
    const a = await createUser(deps, "annotator");
    expect((await takeTask(deps, project.id, a.id))?.taskId).toBe(t0);

    await setTaskOrder(deps.db, { projectId: project.id, order: "uncertainty" }, admin.id);
    const served: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await createUser(deps, "annotator");
      served.push((await takeTask(deps, project.id, b.id))!.taskId);
    }
    // t0 is leased to the first annotator; then by score; the unscored task (priority 0) last.
    expect(served).toEqual([t3, t1, t2]);

    await setTaskOrder(deps.db, { projectId: project.id, order: "imported" }, admin.id);
    expect((await deps.db.task.findMany({ where: { projectId: project.id, priority: { not: 0 } } })).length).toBe(0);
    const c = await createUser(deps, "annotator");
    expect((await takeTask(deps, project.id, c.id))?.taskId).toBe(taskIds[4]);
  });

  it("still finishes partly-labelled tasks first, whatever their priority", async () => {
    const { project, taskIds } = await makeProject(deps, { tasks: 3, overlap: 2 });
    const [t0, t1, t2] = taskIds as [string, string, string];
    const first = await createUser(deps, "annotator");
    const lease = await takeTask(deps, project.id, first.id);
    expect(lease?.taskId).toBe(t0);
    await label(deps, first.id, lease!.assignmentId);
    // A run scored before the label: t0 is the least interesting task.
    await acquisition(deps, project.id, { [t2]: 2, [t1]: 1, [t0]: 0.01 });
    await setTaskOrder(deps.db, { projectId: project.id, order: "uncertainty" }, admin.id);

    const second = await createUser(deps, "annotator");
    expect((await takeTask(deps, project.id, second.id))?.taskId).toBe(t0);
    const third = await createUser(deps, "annotator");
    expect((await takeTask(deps, project.id, third.id))?.taskId).toBe(t2);
  });

  it("keeps the gold and overlap rules: gold never gets a priority, a task never exceeds its overlap, nobody sees a task twice", async () => {
    const { project, taskIds } = await makeProject(deps, { tasks: 4, overlap: 1, goldRate: 1 });
    const [gold, t1, t2, t3] = taskIds as [string, string, string, string];
    await deps.db.task.update({ where: { id: gold }, data: { isGold: true } });
    await acquisition(deps, project.id, { [gold]: 5, [t1]: 0.1, [t2]: 0.3, [t3]: 0.2 });
    await setTaskOrder(deps.db, { projectId: project.id, order: "uncertainty" }, admin.id);
    expect((await deps.db.task.findUniqueOrThrow({ where: { id: gold } })).priority).toBe(0);

    const annotators = await Promise.all(Array.from({ length: 4 }, () => createUser(deps, "annotator")));
    const taken: string[][] = [];
    for (const a of annotators) {
      const mine: string[] = [];
      for (;;) {
        const lease = await takeTask(deps, project.id, a.id);
        if (!lease) break;
        mine.push(lease.taskId);
        await label(deps, a.id, lease.assignmentId);
      }
      taken.push(mine);
    }
    // Gold first for everyone (rate 1); the regular tasks by priority, each once in all.
    expect(taken[0]).toEqual([gold, t2, t3, t1]);
    for (const mine of taken.slice(1)) expect(mine).toEqual([gold]);
    const counts = await deps.db.task.findMany({ where: { projectId: project.id }, select: { id: true, annotationCount: true } });
    expect(Object.fromEntries(counts.map((c) => [c.id, c.annotationCount]))).toEqual({ [gold]: 4, [t1]: 1, [t2]: 1, [t3]: 1 });
  });

  it("reads both pools' next task from the task index in order, with no sort", async () => {
    const { project } = await makeProject(deps, { tasks: 2000, overlap: 3 });
    await deps.db.$executeRawUnsafe("ANALYZE task");
    for (const pool of ["regular", "gold"] as const) {
      const query = candidateQuery(pool, { projectId: project.id, annotatorId: randomUUID(), overlap: 3, now: new Date(), tried: [] });
      const plan = await deps.db.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${query}`);
      const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text, text).toContain("task_projectId_isGold_rankable_annotationCount_priority_cre_idx");
      // (The response ids of the chosen task are sorted by position, per task: that sort is not this one.)
      expect(text, text).not.toMatch(/Sort Key: .*\bt\./);
    }
  });
});
