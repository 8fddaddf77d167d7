// The annotator's side of review: what happened to their work (accepted, rejected with the reason,
// corrected with the note and what changed), unread until they have seen it.
import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";
import { threadsOf } from "./questions";

type Ranking = string[][];
type Labels = { ranking?: Ranking; promptPolicy?: string | null; harmCategory?: string | null; rubric?: Record<string, string> };

/** Responses named as the annotator saw them: A, B, C… in their shown order. */
function lettersOf(shownOrder: string[]): Map<string, string> {
  return new Map(shownOrder.map((id, i) => [id, String.fromCharCode(65 + i)]));
}

const rankingText = (ranking: Ranking | undefined, letters: Map<string, string>) =>
  (ranking ?? []).map((group) => group.map((id) => letters.get(id) ?? "?").join(" = ")).join(" > ");

export type ReviewChange = { field: "ranking" | "policy" | "harm category" | "rubric"; before: string; after: string };

/** What a correction changed, in the annotator's own letters. */
export function changesOf(before: Labels, after: Labels, shownOrder: string[]): ReviewChange[] {
  const letters = lettersOf(shownOrder);
  const changes: ReviewChange[] = [];
  const [rankBefore, rankAfter] = [rankingText(before.ranking, letters), rankingText(after.ranking, letters)];
  if (rankBefore !== rankAfter) changes.push({ field: "ranking", before: rankBefore, after: rankAfter });
  if ((before.promptPolicy ?? null) !== (after.promptPolicy ?? null)) changes.push({ field: "policy", before: before.promptPolicy ?? "—", after: after.promptPolicy ?? "—" });
  if ((before.harmCategory ?? null) !== (after.harmCategory ?? null)) changes.push({ field: "harm category", before: before.harmCategory ?? "—", after: after.harmCategory ?? "—" });
  const rubric = (r: Record<string, string> | undefined) =>
    shownOrder
      .filter((id) => r?.[id])
      .map((id) => `${letters.get(id)}: ${r![id]}`)
      .join(", ");
  const [rubricBefore, rubricAfter] = [rubric(before.rubric), rubric(after.rubric)];
  if (rubricBefore !== rubricAfter) changes.push({ field: "rubric", before: rubricBefore || "—", after: rubricAfter || "—" });
  return changes;
}

const reviewed: Prisma.AnnotationWhereInput = { reviewState: { in: ["accepted", "rejected", "corrected"] }, reviewedAt: { not: null } };

/** The latest news on a review: the review itself or a reviewer's reply to a question about it. */
const lastActivity = (r: { reviewedAt: Date; lastReplyAt: Date | null }) => (r.lastReplyAt && r.lastReplyAt > r.reviewedAt ? r.lastReplyAt : r.reviewedAt);

/** Reviews (or replies) newer than the annotator's last look (columns compared, so in SQL). */
export async function unreadReviews(db: Db, annotatorId: string): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM annotation
    WHERE "annotatorId" = ${annotatorId} AND "reviewState" IN ('accepted', 'rejected', 'corrected') AND "reviewedAt" IS NOT NULL
      AND ("reviewSeenAt" IS NULL OR "reviewSeenAt" < GREATEST("reviewedAt", "lastReplyAt"))`;
  return row?.n ?? 0;
}

/** One page of the annotator's reviewed work, the latest news (review or reply) first. */
export async function listReviews(db: Db, annotatorId: string, { page, pageSize }: { page: number; pageSize: number }) {
  const where: Prisma.AnnotationWhereInput = { annotatorId, ...reviewed };
  const pageIds = (
    await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM annotation
      WHERE "annotatorId" = ${annotatorId} AND "reviewState" IN ('accepted', 'rejected', 'corrected') AND "reviewedAt" IS NOT NULL
      ORDER BY GREATEST("reviewedAt", "lastReplyAt") DESC, id
      OFFSET ${page * pageSize} LIMIT ${pageSize}`
  ).map((r) => r.id);
  const [unordered, total, unread, threads] = await Promise.all([
    db.annotation.findMany({
      where: { id: { in: pageIds } },
      select: {
        id: true,
        createdAt: true,
        reviewState: true,
        reviewedAt: true,
        reviewSeenAt: true,
        lastReplyAt: true,
        reviewNote: true,
        shownOrder: true,
        reviewedBy: { select: { name: true } },
        task: { select: { project: { select: { id: true, name: true } }, prompt: { select: { messages: true } }, responses: { select: { id: true, content: true } } } },
      },
    }),
    db.annotation.count({ where }),
    unreadReviews(db, annotatorId),
    threadsOf(db, pageIds),
  ]);
  const rows = pageIds.map((id) => unordered.find((r) => r.id === id)!).filter(Boolean);
  const corrections = await db.auditLog.findMany({
    where: { action: "annotation.correct", target: { in: rows.filter((r) => r.reviewState === "corrected").map((r) => `annotation:${r.id}`) } },
    orderBy: { id: "desc" },
    select: { target: true, before: true, after: true },
  });
  const latestCorrection = new Map<string, { before: Labels; after: Labels }>();
  for (const c of corrections) if (!latestCorrection.has(c.target)) latestCorrection.set(c.target, { before: c.before as Labels, after: c.after as Labels });

  return {
    total,
    unread,
    page,
    pageSize,
    items: rows.map((r) => {
      const messages = r.task.prompt.messages as { role: string; content: string }[];
      const correction = latestCorrection.get(`annotation:${r.id}`);
      const letters = lettersOf(r.shownOrder);
      return {
        annotationId: r.id,
        project: r.task.project,
        prompt: [...messages].reverse().find((m) => m.role === "user")?.content ?? "",
        labelledAt: r.createdAt,
        state: r.reviewState as "accepted" | "rejected" | "corrected",
        reviewedAt: r.reviewedAt!,
        reviewer: r.reviewedBy?.name ?? null,
        note: r.reviewNote,
        unread: r.reviewSeenAt === null || r.reviewSeenAt < lastActivity({ reviewedAt: r.reviewedAt!, lastReplyAt: r.lastReplyAt }),
        /** The annotator's questions and the reviewers' replies, oldest first. */
        thread: threads.get(r.id) ?? [],
        responses: r.shownOrder.map((id) => ({ letter: letters.get(id)!, content: r.task.responses.find((x) => x.id === id)?.content ?? "" })),
        changes: correction ? changesOf(correction.before, correction.after, r.shownOrder) : [],
      };
    }),
  };
}

/** Marks reviews as seen: the given ones (the annotator's own only), or all of them. */
export async function markReviewsRead(db: Db, annotatorId: string, annotationIds?: string[]): Promise<{ marked: number }> {
  const { count } = await db.annotation.updateMany({
    where: { annotatorId, ...reviewed, ...(annotationIds ? { id: { in: annotationIds } } : {}) },
    data: { reviewSeenAt: new Date() },
  });
  return { marked: count };
}
