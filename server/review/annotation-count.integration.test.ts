// A task's annotationCount is the number of annotators' judgements of it that still count: whatever
// mix of imports, submissions and rejections happens, it never drifts from that, nor goes negative.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextAssignment, submitAnnotation } from "../annotation/service";
import { importJsonl } from "../import/service";
import { createTestDeps, createUser, type TestDeps } from "../test/harness";
import { rejectAnnotation } from "./service";

async function* lines(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

type Op = "import" | "submit" | "rejectImported" | "rejectHuman";

describe("annotationCount", () => {
  let deps: TestDeps;
  let reviewer: Awaited<ReturnType<typeof createUser>>;
  beforeAll(async () => {
    deps = createTestDeps();
    reviewer = await createUser(deps, "reviewer");
  });
  afterAll(() => deps.db.$disconnect());

  async function counts(projectId: string) {
    const tasks = await deps.db.task.findMany({
      where: { projectId },
      select: { annotationCount: true, annotations: { where: { origin: "human", reviewState: { not: "rejected" } }, select: { id: true } } },
    });
    return tasks.map((t) => ({ stored: t.annotationCount, counted: t.annotations.length }));
  }

  it("equals the task's annotators' judgements that are not rejected, over any sequence of imports, submissions and rejections", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Op>("import", "submit", "submit", "rejectImported", "rejectHuman"), { minLength: 1, maxLength: 10 }), async (ops) => {
        const project = await deps.db.project.create({ data: { name: `count-${randomUUID()}`, k: 2, overlap: 2 } });
        const annotators = await Promise.all([createUser(deps, "annotator"), createUser(deps, "annotator")]);
        let imported = 0;
        for (const op of ops) {
          if (op === "import") {
            // A preference file: a task (with its imported judgement) for the prompt, or a second judgement of it.
            const row = { prompt: `question ${imported++ % 2} ${project.id}`, chosen: `good ${imported}`, rejected: `bad ${imported}` };
            await importJsonl(deps.db, { projectId: project.id, layout: "pairs", chunks: lines([row]), strict: true, filename: null, createdById: null });
          } else if (op === "submit") {
            for (const annotator of annotators) {
              const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id });
              if (!next) continue;
              const { task } = await deps.db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId }, select: { task: { select: { responses: { select: { id: true } } } } } });
              const [a, b] = task.responses.map((r) => r.id) as [string, string];
              await submitAnnotation(deps.db, {
                assignmentId: next.assignmentId,
                annotatorId: annotator.id,
                idempotencyKey: randomUUID(),
                labels: { ranking: { groups: [[a], [b]], strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
                timeSpentMs: 1000,
              });
              break;
            }
          } else {
            const origin = op === "rejectImported" ? "imported" : "human";
            const target = await deps.db.annotation.findFirst({ where: { task: { projectId: project.id }, origin, reviewState: { not: "rejected" } }, select: { id: true } });
            if (target) await rejectAnnotation(deps.db, { annotationId: target.id, reason: "property test" }, reviewer.id);
          }
          for (const c of await counts(project.id)) {
            expect(c.stored, `after ${op} in ${ops.join(", ")}`).toBe(c.counted);
            expect(c.stored).toBeGreaterThanOrEqual(0);
            expect(c.stored).toBeLessThanOrEqual(2);
          }
        }
      }),
      { numRuns: 15, seed: 20261205 },
    );
  }, 120_000);
});
