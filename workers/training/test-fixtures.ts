// Shared set-up of the training integration tests: a labelled project, waiting on a condition.
import { randomUUID } from "node:crypto";
import { nextAssignment, submitAnnotation } from "../../server/annotation/service";
import { importJsonl } from "../../server/import/service";
import { createUser, type TestDeps } from "../../server/test/harness";

export async function waitFor<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function* chunks(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

/** A project whose tasks were ranked by an annotator: the good answer above the bad one. */
export async function labelledProject(deps: TestDeps, tasks: number) {
  const project = await deps.db.project.create({ data: { name: `training-${randomUUID()}`, k: 2, overlap: 1 } });
  const rows = Array.from({ length: tasks }, (_, i) => ({ prompt: `question ${i} ${randomUUID()}`, responses: ["good helpful answer", "bad rude answer"] }));
  await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: chunks(rows), strict: true, filename: null, createdById: null });
  const annotator = await createUser(deps, "annotator");
  for (;;) {
    const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id });
    if (!next) break;
    const assignment = await deps.db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId }, select: { task: { select: { responses: { select: { id: true, content: true } } } } } });
    const good = assignment.task.responses.find((r) => r.content.startsWith("good"))!;
    const bad = assignment.task.responses.find((r) => r !== good)!;
    await submitAnnotation(deps.db, {
      assignmentId: next.assignmentId,
      annotatorId: annotator.id,
      idempotencyKey: randomUUID(),
      labels: { ranking: { groups: [[good.id], [bad.id]], strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
      timeSpentMs: 1000,
    });
  }
  return project;
}
