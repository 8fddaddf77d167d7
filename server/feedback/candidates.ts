// Sampled production conversations that brought fewer candidates than the project's K wait for a
// `generate` job: the answer given is ranked beside K − 1 fresh samples from a policy.
import type { Db } from "../db";
import { openBoss, type BossSource } from "../queue";
import { AppError } from "../errors";
import { enqueue } from "../jobs/service";

/** Sampled, without a labelling task, and not in a generate job still queued or running. */
export async function conversationsWaitingForCandidates(db: Db, projectId: string): Promise<string[]> {
  const rows = await db.feedbackConversation.findMany({
    where: { projectId, sampled: true, tasks: { none: { purpose: "labelling" } } },
    orderBy: { receivedAt: "asc" },
    select: { id: true },
    take: 10_000,
  });
  const active = await db.job.findMany({ where: { kind: "generate", state: { in: ["queued", "running"] } }, select: { payload: true } });
  const queued = new Set(active.flatMap((j) => ((j.payload as { feedbackConversationIds?: unknown }).feedbackConversationIds as string[] | undefined) ?? []));
  return rows.map((r) => r.id).filter((id) => !queued.has(id));
}

export async function generateFeedbackCandidates(deps: { db: Db; boss: BossSource }, input: { projectId: string; policyModelId?: string }, actorId: string) {
  const ids = await conversationsWaitingForCandidates(deps.db, input.projectId);
  if (!ids.length) throw new AppError("BAD_REQUEST", "No sampled conversation is waiting for candidates");
  const boss = await openBoss(deps.boss);
  const job = await enqueue(
    { db: deps.db, boss },
    "generate",
    { projectId: input.projectId, feedbackConversationIds: ids, ...(input.policyModelId ? { policyModelId: input.policyModelId } : {}) },
    { createdById: actorId },
  );
  return { jobId: job.id, conversations: ids.length };
}
