// Where a production conversation's text went, for deletion on request: its own row, every task
// made from it and those tasks' prompts (server/governance deletes prompts with their lineage).
import type { Db } from "../db";
import { AppError } from "../errors";

export async function feedbackLineage(db: Db, { projectId, externalId }: { projectId: string; externalId: string }) {
  const conversation = await db.feedbackConversation.findUnique({
    where: { projectId_externalId: { projectId, externalId } },
    select: { id: true, tasks: { select: { purpose: true, task: { select: { id: true, promptId: true } } } } },
  });
  if (!conversation) throw new AppError("NOT_FOUND", `No feedback conversation with id ${externalId} in this project`);
  const tasks = conversation.tasks.map((t) => ({ taskId: t.task.id, promptId: t.task.promptId, purpose: t.purpose }));
  return { conversationId: conversation.id, tasks, promptIds: [...new Set(tasks.map((t) => t.promptId))] };
}
