// Gold items: tasks with a known expected judgement, mixed into the queue to measure annotators.
import type { Db } from "../db";
import { AppError } from "../errors";
import { validateSubmission } from "../annotation/submission";

export async function markGold(
  db: Db,
  { taskId, answer }: { taskId: string; answer: { ranking: string[][]; promptPolicy: "allowed" | "sensitive" | "disallowed" | null } | null },
  actorId: string,
) {
  const task = await db.task.findUnique({
    where: { id: taskId },
    select: { id: true, isGold: true, goldAnswer: true, rankable: true, responses: { select: { id: true } }, project: { select: { harmTaxonomy: true } } },
  });
  if (!task) throw new AppError("NOT_FOUND", `No task with id ${taskId}`);
  // A gold item is served to everyone for ranking; a single response has nothing to rank.
  if (answer && !task.rankable) throw new AppError("BAD_REQUEST", "This task has a single response (a thumbs label import) and cannot be ranked, so it cannot be a gold item");
  if (answer) {
    // The same ranking rules as a submission; ties are always allowed in an expected answer.
    const check = validateSubmission(
      { ranking: { groups: answer.ranking, strengths: answer.ranking.slice(1).map(() => "clear") }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
      { responseIds: task.responses.map((r) => r.id), tiesAllowed: true, harmTaxonomy: task.project.harmTaxonomy },
    );
    if (!check.ok) throw new AppError("BAD_REQUEST", `The expected ranking does not fit the task: ${check.errors.join("; ")}`);
  }
  return db.$transaction(async (tx) => {
    const updated = await tx.task.update({
      where: { id: taskId },
      data: answer ? { isGold: true, goldAnswer: answer } : { isGold: false, goldAnswer: undefined },
      select: { id: true, isGold: true, goldAnswer: true },
    });
    if (!answer) await tx.$executeRaw`UPDATE task SET "goldAnswer" = NULL WHERE id = ${taskId}`;
    await tx.auditLog.create({
      data: {
        actorId,
        action: answer ? "task.mark_gold" : "task.unmark_gold",
        target: `task:${taskId}`,
        before: { isGold: task.isGold, goldAnswer: task.goldAnswer ?? null },
        after: { isGold: !!answer, goldAnswer: answer },
      },
    });
    return { ...updated, goldAnswer: answer };
  });
}
