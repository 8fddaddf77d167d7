// Questions about a review: the annotator asks from their inbox, a reviewer of the project replies
// from the console. A question stays open (the console's "Open questions" filter) until a reviewer
// replies; a reply makes the review unread again in the annotator's inbox.
import type { Db } from "../db";
import { AppError } from "../errors";

const reviewedStates = ["accepted", "rejected", "corrected"] as const;

export type ReviewThreadMessage = { id: string; fromAnnotator: boolean; authorId: string | null; author: string | null; body: string; createdAt: Date };

/** The thread of each annotation given, oldest message first. */
export async function threadsOf(db: Db, annotationIds: string[]): Promise<Map<string, ReviewThreadMessage[]>> {
  const threads = new Map<string, ReviewThreadMessage[]>();
  if (annotationIds.length === 0) return threads;
  const rows = await db.reviewMessage.findMany({
    where: { annotationId: { in: annotationIds } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, annotationId: true, fromAnnotator: true, authorId: true, body: true, createdAt: true, author: { select: { name: true } } },
  });
  for (const r of rows) {
    const thread = threads.get(r.annotationId) ?? [];
    thread.push({ id: r.id, fromAnnotator: r.fromAnnotator, authorId: r.authorId, author: r.author?.name ?? null, body: r.body, createdAt: r.createdAt });
    threads.set(r.annotationId, thread);
  }
  return threads;
}

/** The annotator asks about the review of their own, reviewed work. */
export async function askAboutReview(db: Db, annotatorId: string, { annotationId, body }: { annotationId: string; body: string }) {
  return db.$transaction(async (tx) => {
    const [a] = await tx.$queryRaw<{ annotatorId: string | null; reviewState: string }[]>`
      SELECT "annotatorId", "reviewState"::text AS "reviewState" FROM annotation WHERE id = ${annotationId} FOR UPDATE`;
    // Someone else's work is "not found" to the caller: their inbox is their own.
    if (!a || a.annotatorId !== annotatorId) throw new AppError("NOT_FOUND", `No reviewed work of yours with id ${annotationId}`);
    if (!(reviewedStates as readonly string[]).includes(a.reviewState)) throw new AppError("CONFLICT", "This work has not been reviewed yet; ask once a reviewer has looked at it.");
    const now = new Date();
    const message = await tx.reviewMessage.create({
      data: { annotationId, authorId: annotatorId, fromAnnotator: true, body },
      select: { id: true, createdAt: true },
    });
    await tx.annotation.update({ where: { id: annotationId }, data: { questionOpenAt: now } });
    await tx.auditLog.create({ data: { actorId: annotatorId, action: "annotation.question", target: `annotation:${annotationId}`, after: { body } } });
    return message;
  });
}

/** A reviewer replies; the question is answered and the annotator's inbox shows it as new. */
export async function replyToQuestion(db: Db, reviewerId: string, { annotationId, body }: { annotationId: string; body: string }) {
  return db.$transaction(async (tx) => {
    const [a] = await tx.$queryRaw<{ annotatorId: string | null }[]>`SELECT "annotatorId" FROM annotation WHERE id = ${annotationId} FOR UPDATE`;
    if (!a) throw new AppError("NOT_FOUND", `No annotation ${annotationId}`);
    if (a.annotatorId === reviewerId) throw new AppError("FORBIDDEN", "You cannot answer questions about your own work");
    const asked = await tx.reviewMessage.count({ where: { annotationId, fromAnnotator: true } });
    if (asked === 0) throw new AppError("CONFLICT", "The annotator has not asked anything about this review; write to them through a correction note instead.");
    const now = new Date();
    const message = await tx.reviewMessage.create({
      data: { annotationId, authorId: reviewerId, fromAnnotator: false, body, createdAt: now },
      select: { id: true, createdAt: true },
    });
    await tx.annotation.update({ where: { id: annotationId }, data: { questionOpenAt: null, lastReplyAt: now } });
    await tx.auditLog.create({ data: { actorId: reviewerId, action: "annotation.reply", target: `annotation:${annotationId}`, after: { body } } });
    return message;
  });
}
