import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { importJsonl } from "../import/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { derivePairs, pairCount, type Ranking } from "./ranking";
import { annotatorProgress, getAssignmentView, nextAssignment, saveDemonstration, skipAssignment, submitAnnotation, type Clock } from "./service";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

async function makeProject(deps: TestDeps, opts: { tasks: number; overlap: number; k?: number; tiesAllowed?: boolean }) {
  const k = opts.k ?? 4;
  const project = await deps.db.project.create({
    data: { name: `p-${randomUUID()}`, k, overlap: opts.overlap, tiesAllowed: opts.tiesAllowed ?? true },
  });
  const tag = randomUUID();
  const rows = Array.from({ length: opts.tasks }, (_, i) => ({
    prompt: `Question ${i} (${tag})`,
    responses: Array.from({ length: k }, (_, j) => `Answer ${j} to ${i}`),
  }));
  const summary = await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: lines(rows), strict: true, filename: null, createdById: null });
  expect(summary.imported).toBe(opts.tasks);
  return project;
}

/** A valid judgement of the shown responses: a random order with an occasional tie. */
function randomLabels(ids: string[], allowTies: boolean) {
  const order = [...ids].sort(() => Math.random() - 0.5);
  const groups: string[][] = [];
  for (const id of order) {
    const last = groups.at(-1);
    if (allowTies && last && Math.random() < 0.25) last.push(id);
    else groups.push([id]);
  }
  const ranking: Ranking = { groups, strengths: groups.slice(1).map(() => "clear" as const) };
  return { ranking, promptPolicy: "allowed" as const, harmCategory: null, rubric: {}, flags: {}, rationale: null };
}

async function codeOf(p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

describe("assignment and submission", () => {
  let deps: TestDeps;
  beforeAll(() => {
    deps = createTestDeps();
  });
  afterAll(() => deps.db.$disconnect());

  it("50 concurrent annotators with overlap 3: no shared slot, every task gets exactly 3 annotations, pairs match the rankings", async () => {
    const project = await makeProject(deps, { tasks: 30, overlap: 3 });
    const annotators = await Promise.all(Array.from({ length: 50 }, () => createUser(deps, "annotator")));
    const submittedRankings: Ranking[] = [];

    await Promise.all(
      annotators.map(async (annotator) => {
        for (;;) {
          const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id });
          if (!next) return;
          const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: annotator.id });
          const labels = randomLabels(view.responses.map((r) => r.id), true);
          await submitAnnotation(deps.db, {
            assignmentId: next.assignmentId,
            annotatorId: annotator.id,
            idempotencyKey: randomUUID(),
            labels,
            timeSpentMs: 1000,
          });
          submittedRankings.push(labels.ranking);
        }
      }),
    );

    const tasks = await deps.db.task.findMany({
      where: { projectId: project.id },
      select: { annotationCount: true, _count: { select: { annotations: true } } },
    });
    expect(tasks).toHaveLength(30);
    for (const t of tasks) {
      expect(t.annotationCount).toBe(3);
      expect(t._count.annotations).toBe(3);
    }
    const assignments = await deps.db.assignment.findMany({ where: { task: { projectId: project.id } }, select: { taskId: true, annotatorId: true, state: true } });
    expect(assignments).toHaveLength(90);
    expect(new Set(assignments.map((a) => `${a.taskId}/${a.annotatorId}`)).size).toBe(90);
    expect(assignments.every((a) => a.state === "submitted")).toBe(true);

    const pairs = await deps.db.preferencePair.count({ where: { task: { projectId: project.id } } });
    expect(pairs).toBe(submittedRankings.reduce((n, r) => n + pairCount(r), 0));
    // Shown positions are stored with every annotation.
    const annotations = await deps.db.annotation.findMany({ where: { task: { projectId: project.id } }, select: { shownOrder: true } });
    expect(annotations.every((a) => a.shownOrder.length === 4)).toBe(true);
  });

  it("an expired lease returns the slot to the pool and the late submit is refused", async () => {
    const project = await makeProject(deps, { tasks: 1, overlap: 1 });
    const [a, b] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    let now = new Date();
    const clock: Clock = { now: () => now, rng: Math.random };

    const first = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id }, clock);
    expect(first).not.toBeNull();
    expect(await nextAssignment(deps.db, { projectId: project.id, annotatorId: b.id }, clock)).toBeNull();

    now = new Date(now.getTime() + 16 * 60_000);
    const second = await nextAssignment(deps.db, { projectId: project.id, annotatorId: b.id }, clock);
    expect(second).not.toBeNull();

    const view = await getAssignmentView(deps.db, { assignmentId: first!.assignmentId, annotatorId: a.id });
    const late = submitAnnotation(
      deps.db,
      { assignmentId: first!.assignmentId, annotatorId: a.id, idempotencyKey: randomUUID(), labels: randomLabels(view.responses.map((r) => r.id), false), timeSpentMs: null },
      clock,
    );
    expect(await codeOf(late)).toBe("CONFLICT");
    expect(await deps.db.annotation.count({ where: { task: { projectId: project.id } } })).toBe(0);
  });

  it("a retried or double-clicked submit creates one annotation and returns the same result", async () => {
    const project = await makeProject(deps, { tasks: 1, overlap: 1 });
    const a = await createUser(deps, "annotator");
    const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
    const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: a.id });
    const input = {
      assignmentId: next!.assignmentId,
      annotatorId: a.id,
      idempotencyKey: randomUUID(),
      labels: randomLabels(view.responses.map((r) => r.id), false),
      timeSpentMs: 500,
    };
    const [r1, r2] = await Promise.all([submitAnnotation(deps.db, input), submitAnnotation(deps.db, input)]);
    const r3 = await submitAnnotation(deps.db, input);
    expect(r2.annotationId).toBe(r1.annotationId);
    expect(r3.annotationId).toBe(r1.annotationId);
    expect(r1.pairs).toBe(6);
    expect(await deps.db.annotation.count({ where: { task: { projectId: project.id } } })).toBe(1);
    const stored = await deps.db.preferencePair.findMany({
      where: { annotationId: r1.annotationId },
      select: { chosenResponseId: true, rejectedResponseId: true, margin: true, strength: true, chosenRank: true, rejectedRank: true },
    });
    const expected = derivePairs(input.labels.ranking).map((p) => ({
      chosenResponseId: p.chosenId,
      rejectedResponseId: p.rejectedId,
      margin: p.margin,
      strength: p.strength,
      chosenRank: p.chosenRank,
      rejectedRank: p.rejectedRank,
    }));
    const byIds = (x: { chosenResponseId: string; rejectedResponseId: string }) => x.chosenResponseId + x.rejectedResponseId;
    expect(stored.sort((x, y) => byIds(x).localeCompare(byIds(y)))).toEqual(expected.sort((x, y) => byIds(x).localeCompare(byIds(y))));
    const annotation = await deps.db.annotation.findUniqueOrThrow({ where: { id: r1.annotationId } });
    expect(annotation).toMatchObject({ ranking: input.labels.ranking.groups, strengths: input.labels.ranking.strengths, shownOrder: view.responses.map((r) => r.id), promptPolicy: "allowed", timeSpentMs: 500 });
    expect((await deps.db.task.findFirstOrThrow({ where: { projectId: project.id } })).annotationCount).toBe(1);
  });

  it("refuses bad submissions and foreign leases with a message and changes nothing", async () => {
    const project = await makeProject(deps, { tasks: 1, overlap: 2, tiesAllowed: false });
    const [a, b] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
    const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: a.id });
    const [r1, r2, r3, r4] = view.responses.map((r) => r.id) as [string, string, string, string];
    const base = { assignmentId: next!.assignmentId, annotatorId: a.id, timeSpentMs: null };
    const labels = (groups: string[][], extra = {}) => ({
      ranking: { groups, strengths: groups.slice(1).map(() => "slight" as const) },
      promptPolicy: "allowed" as const,
      harmCategory: null,
      rubric: {},
      flags: {},
      rationale: null,
      ...extra,
    });

    const missing = submitAnnotation(deps.db, { ...base, idempotencyKey: randomUUID(), labels: labels([[r1], [r2], [r3]]) });
    await expect(missing).rejects.toThrow(`response ${r4} is not ranked`);
    const dup = submitAnnotation(deps.db, { ...base, idempotencyKey: randomUUID(), labels: labels([[r1], [r2], [r3], [r4], [r1]]) });
    await expect(dup).rejects.toThrow(`response ${r1} is ranked more than once`);
    const tie = submitAnnotation(deps.db, { ...base, idempotencyKey: randomUUID(), labels: labels([[r1, r2], [r3], [r4]]) });
    await expect(tie).rejects.toThrow(/ties are not allowed/);
    const noRubric = submitAnnotation(deps.db, {
      ...base,
      idempotencyKey: randomUUID(),
      labels: labels([[r1], [r2], [r3], [r4]], { promptPolicy: "sensitive", harmCategory: "privacy" }),
    });
    await expect(noRubric).rejects.toThrow(/rubric grade missing/);
    const foreign = submitAnnotation(deps.db, { ...base, annotatorId: b.id, idempotencyKey: randomUUID(), labels: labels([[r1], [r2], [r3], [r4]]) });
    expect(await codeOf(foreign)).toBe("FORBIDDEN");
    expect(await codeOf(skipAssignment(deps.db, { assignmentId: next!.assignmentId, annotatorId: b.id, reason: "not mine" }))).toBe("NOT_FOUND");

    expect(await deps.db.annotation.count({ where: { task: { projectId: project.id } } })).toBe(0);
    const assignment = await deps.db.assignment.findUniqueOrThrow({ where: { id: next!.assignmentId } });
    expect(assignment.state).toBe("leased");

    // And the same lease then accepts a valid judgement.
    const ok = await submitAnnotation(deps.db, { ...base, idempotencyKey: randomUUID(), labels: labels([[r1], [r2], [r3], [r4]]) });
    expect(ok.pairs).toBe(6);
  });

  it("a reload resumes the live lease; a skip frees the slot and is not offered again to the same person", async () => {
    const project = await makeProject(deps, { tasks: 2, overlap: 1 });
    const [a, b] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    const first = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
    expect((await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id }))!.assignmentId).toBe(first!.assignmentId);
    const firstTask = (await deps.db.assignment.findUniqueOrThrow({ where: { id: first!.assignmentId } })).taskId;

    await skipAssignment(deps.db, { assignmentId: first!.assignmentId, annotatorId: a.id, reason: "unclear prompt" });
    const afterSkip = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
    expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: afterSkip!.assignmentId } })).taskId).not.toBe(firstTask);
    const forB = await nextAssignment(deps.db, { projectId: project.id, annotatorId: b.id });
    expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: forB!.assignmentId } })).taskId).toBe(firstTask);
  });

  it("hands gold items to everyone regardless of the overlap and shows them like any other task", async () => {
    const project = await makeProject(deps, { tasks: 3, overlap: 1 });
    await deps.db.project.update({ where: { id: project.id }, data: { goldRate: 1 } });
    const gold = await deps.db.task.findFirstOrThrow({ where: { projectId: project.id }, orderBy: { createdAt: "asc" } });
    await deps.db.task.update({ where: { id: gold.id }, data: { isGold: true } });
    const annotators = await Promise.all(Array.from({ length: 3 }, () => createUser(deps, "annotator")));
    for (const a of annotators) {
      const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
      const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: a.id });
      expect(view).not.toHaveProperty("isGold");
      expect((await deps.db.assignment.findUniqueOrThrow({ where: { id: next!.assignmentId } })).taskId).toBe(gold.id);
      await submitAnnotation(deps.db, { assignmentId: next!.assignmentId, annotatorId: a.id, idempotencyKey: randomUUID(), labels: randomLabels(view.responses.map((r) => r.id), false), timeSpentMs: 1 });
    }
    expect((await deps.db.task.findUniqueOrThrow({ where: { id: gold.id } })).annotationCount).toBe(3);
  });

  it("never leases a single-response thumbs task: a project mixing kto rows and ranking tasks serves only the rankable ones", async () => {
    const project = await makeProject(deps, { tasks: 2, overlap: 2 });
    await deps.db.project.update({ where: { id: project.id }, data: { goldRate: 0.5 } });
    const tag = randomUUID();
    // Before, between and after the ranking tasks in the queue's order.
    const kto = (label: boolean, i: number) => ({ prompt: `Was this good? ${i} (${tag})`, completion: `Answer ${i}`, label });
    const imported = await importJsonl(deps.db, { projectId: project.id, layout: "kto", chunks: lines([kto(true, 0), kto(false, 1), kto(true, 2)]), strict: true, filename: null, createdById: null });
    expect(imported.imported).toBe(3);
    const thumbs = await deps.db.task.findMany({ where: { projectId: project.id, rankable: false }, select: { id: true } });
    expect(thumbs).toHaveLength(3);
    // Even marked gold (which the console refuses), a thumbs task is not handed out.
    await deps.db.task.update({ where: { id: thumbs[0]!.id }, data: { isGold: true } });

    const annotators = await Promise.all(Array.from({ length: 3 }, () => createUser(deps, "annotator")));
    const leased: string[] = [];
    for (const a of annotators) {
      for (;;) {
        const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
        if (!next) break;
        const view = await getAssignmentView(deps.db, { assignmentId: next.assignmentId, annotatorId: a.id });
        expect(view.responses).toHaveLength(4);
        leased.push((await deps.db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId } })).taskId);
        await submitAnnotation(deps.db, { assignmentId: next.assignmentId, annotatorId: a.id, idempotencyKey: randomUUID(), labels: randomLabels(view.responses.map((r) => r.id), false), timeSpentMs: 1 });
      }
    }
    expect(leased).toHaveLength(4);
    expect(leased.some((id) => thumbs.some((t) => t.id === id))).toBe(false);
    // The thumbs tasks are not work left: the queue reads as finished.
    const progress = (await annotatorProgress(deps.db, { annotatorId: annotators[2]!.id })).get(project.id);
    expect(progress).toMatchObject({ total: 2, complete: 2, availableToMe: 0 });
  });

  it("refuses an idempotency key that someone else already used", async () => {
    const project = await makeProject(deps, { tasks: 2, overlap: 1 });
    const [a, b] = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
    const key = randomUUID();
    for (const [who, expectCode] of [[a, null], [b, "CONFLICT"]] as const) {
      const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: who.id });
      const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: who.id });
      const submit = submitAnnotation(deps.db, { assignmentId: next!.assignmentId, annotatorId: who.id, idempotencyKey: key, labels: randomLabels(view.responses.map((r) => r.id), false), timeSpentMs: 1 });
      if (expectCode) expect(await codeOf(submit)).toBe(expectCode);
      else await submit;
    }
    expect(await deps.db.annotation.count({ where: { task: { projectId: project.id } } })).toBe(1);
  });

  it("shuffles the shown order per assignment and labels responses by shown position", async () => {
    const project = await makeProject(deps, { tasks: 1, overlap: 40 });
    const annotators = await Promise.all(Array.from({ length: 24 }, () => createUser(deps, "annotator")));
    const firsts = new Set<string>();
    for (const a of annotators) {
      const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: a.id });
      const view = await getAssignmentView(deps.db, { assignmentId: next!.assignmentId, annotatorId: a.id });
      expect(view.responses.map((r) => r.label)).toEqual(["A", "B", "C", "D"]);
      firsts.add(view.responses[0]!.content);
    }
    // 24 shuffles of 4 items leave all four in first place with overwhelming probability.
    expect(firsts.size).toBeGreaterThanOrEqual(3);
  });

  it("keeps one better answer per assignment, edited in place, and refuses one for a skipped, expired or long-submitted task", async () => {
    const project = await makeProject(deps, { tasks: 3, overlap: 1, k: 2 });
    const author = await createUser(deps, "annotator");
    let now = new Date();
    const clock: Clock = { now: () => now, rng: Math.random };
    const demonstrations = () => deps.db.demonstration.findMany({ where: { task: { projectId: project.id } }, select: { content: true } });
    const write = (assignmentId: string, content: string, key: string = randomUUID()) =>
      saveDemonstration(deps.db, { assignmentId, authorId: author.id, content, basedOnResponseId: null, idempotencyKey: key }, clock);

    // While the lease is live: the second save edits the first, a retried save changes nothing.
    const live = (await nextAssignment(deps.db, { projectId: project.id, annotatorId: author.id }, clock))!;
    const first = await write(live.assignmentId, "first draft", "key-first-draft");
    const edited = await write(live.assignmentId, "second draft");
    expect(edited.id).toBe(first.id);
    expect((await write(live.assignmentId, "a retry of the first", "key-first-draft")).id).toBe(first.id);
    expect(await demonstrations()).toEqual([{ content: "second draft" }]);

    // Just submitted: still editable within the project's lease time, not after it.
    const view = await getAssignmentView(deps.db, { assignmentId: live.assignmentId, annotatorId: author.id });
    await submitAnnotation(deps.db, { assignmentId: live.assignmentId, annotatorId: author.id, idempotencyKey: randomUUID(), labels: randomLabels(view.responses.map((r) => r.id), false), timeSpentMs: 10 }, clock);
    await write(live.assignmentId, "polished after submit");
    expect(await demonstrations()).toEqual([{ content: "polished after submit" }]);
    now = new Date(now.getTime() + 16 * 60_000);
    expect(await codeOf(write(live.assignmentId, "much later"))).toBe("CONFLICT");

    // A skipped task and one whose lease ran out take none.
    const skipped = (await nextAssignment(deps.db, { projectId: project.id, annotatorId: author.id }, clock))!;
    await skipAssignment(deps.db, { assignmentId: skipped.assignmentId, annotatorId: author.id, reason: "unclear" }, clock);
    expect(await codeOf(write(skipped.assignmentId, "after skipping"))).toBe("CONFLICT");
    const lapsed = (await nextAssignment(deps.db, { projectId: project.id, annotatorId: author.id }, clock))!;
    now = new Date(now.getTime() + 16 * 60_000);
    expect(await codeOf(write(lapsed.assignmentId, "after the lease"))).toBe("CONFLICT");
    expect(await demonstrations()).toEqual([{ content: "polished after submit" }]);
  });
});
