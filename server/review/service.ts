// Reviewers check submitted annotations: accept, reject (the slot goes back to the pool) or correct
// (the pairs are derived again). Every action is one transaction with its audit-log row.
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { derivePairs, type Ranking } from "../annotation/ranking";
import { resolveRanking, type SubmitInput } from "../annotation/service";
import { validateSubmission, type SubmissionLabels } from "../annotation/submission";
import { threadsOf } from "../inbox/questions";
import type { reviewStates, TReviewListInput } from "./review.schema";

type Tx = Prisma.TransactionClient;
type ReviewState = (typeof reviewStates)[number];

const reviewRowSelect = {
  id: true,
  taskId: true,
  annotatorId: true,
  origin: true,
  promptPolicy: true,
  harmCategory: true,
  flags: true,
  timeSpentMs: true,
  createdAt: true,
  reviewState: true,
  reviewedAt: true,
  reviewNote: true,
  questionOpenAt: true,
  annotator: { select: { name: true, email: true } },
  reviewedBy: { select: { name: true } },
  task: { select: { projectId: true, isGold: true, project: { select: { name: true } } } },
} satisfies Prisma.AnnotationSelect;

/** One page of annotations, filtered, sorted and counted in the database; `projectIds` (when not
 *  null) limits it to the projects the reviewer is a member of. */
export async function listAnnotationsForReview(
  db: Db,
  input: Required<Pick<TReviewListInput, "sort" | "direction" | "page" | "pageSize">> & TReviewListInput,
  projectIds: string[] | null = null,
) {
  const scope: Prisma.AnnotationWhereInput = input.projectId ? { task: { projectId: input.projectId } } : projectIds ? { task: { projectId: { in: projectIds } } } : {};
  const where: Prisma.AnnotationWhereInput = {
    ...scope,
    ...(input.annotatorId ? { annotatorId: input.annotatorId } : {}),
    ...(input.taskId ? { taskId: input.taskId } : {}),
    ...(input.reviewState ? { reviewState: input.reviewState } : {}),
    ...(input.flagged ? { NOT: { flags: { equals: {} } } } : {}),
    ...(input.openQuestions ? { questionOpenAt: { not: null } } : {}),
  };
  const [rows, total, openQuestions] = await Promise.all([
    db.annotation.findMany({
      where,
      orderBy: [
        input.sort === "timeSpentMs" ? { timeSpentMs: { sort: input.direction, nulls: "last" } } : { createdAt: input.direction },
        { id: "asc" },
      ],
      skip: input.page * input.pageSize,
      take: input.pageSize,
      select: reviewRowSelect,
    }),
    db.annotation.count({ where }),
    db.annotation.count({ where: { ...scope, questionOpenAt: { not: null } } }),
  ]);
  return {
    total,
    /** Unanswered questions from annotators in the projects this list covers, whatever the other filters. */
    openQuestions,
    page: input.page,
    pageSize: input.pageSize,
    rows: rows.map((r) => ({
      id: r.id,
      taskId: r.taskId,
      projectId: r.task.projectId,
      projectName: r.task.project.name,
      isGold: r.task.isGold,
      annotatorId: r.annotatorId,
      annotatorName: r.annotator?.name ?? (r.origin === "imported" ? "(imported)" : "(deleted user)"),
      promptPolicy: r.promptPolicy,
      harmCategory: r.harmCategory,
      flagCount: Object.values((r.flags ?? {}) as Record<string, string[]>).reduce((n, l) => n + l.length, 0),
      timeSpentMs: r.timeSpentMs,
      createdAt: r.createdAt,
      reviewState: r.reviewState,
      reviewedAt: r.reviewedAt,
      reviewedByName: r.reviewedBy?.name ?? null,
      reviewNote: r.reviewNote,
      questionOpen: r.questionOpenAt !== null,
    })),
  };
}

/** Everything a reviewer needs beside one annotation: the conversation, the responses in the order
 *  the annotator saw them, the other annotations of the task and the gold answer if there is one.
 *  Reviewers label too, and gold items go to everyone: the gold answer is shown only to a viewer who
 *  has already submitted or skipped the item, never to one who could still be scored on it. */
export async function getAnnotationForReview(db: Db, annotationId: string, viewerId?: string) {
  const a = await db.annotation.findUnique({
    where: { id: annotationId },
    select: {
      ...reviewRowSelect,
      ranking: true,
      strengths: true,
      verdict: true,
      shownOrder: true,
      rubric: true,
      rationale: true,
      task: {
        select: {
          projectId: true,
          isGold: true,
          goldAnswer: true,
          project: { select: { name: true, mode: true, tiesAllowed: true, harmTaxonomy: true } },
          prompt: { select: { messages: true, source: true } },
          responses: { select: { id: true, content: true, model: true }, orderBy: { index: "asc" } },
          annotations: {
            where: { id: { not: annotationId } },
            select: { id: true, annotatorId: true, ranking: true, promptPolicy: true, rubric: true, reviewState: true, annotator: { select: { name: true } } },
          },
        },
      },
    },
  });
  if (!a) throw new AppError("NOT_FOUND", `No annotation ${annotationId}`);
  const goldAnswerHidden =
    a.task.isGold &&
    viewerId !== undefined &&
    (await db.assignment.count({ where: { taskId: a.taskId, annotatorId: viewerId, state: { in: ["submitted", "skipped"] } } })) === 0;
  const byId = new Map(a.task.responses.map((r) => [r.id, r]));
  const thread = (await threadsOf(db, [a.id])).get(a.id) ?? [];
  const order = a.shownOrder.length ? a.shownOrder : a.task.responses.map((r) => r.id);
  return {
    id: a.id,
    taskId: a.taskId,
    annotatorId: a.annotatorId,
    annotatorName: a.annotator?.name ?? null,
    reviewState: a.reviewState,
    reviewNote: a.reviewNote,
    reviewedByName: a.reviewedBy?.name ?? null,
    questionOpen: a.questionOpenAt !== null,
    /** The annotator's questions about this review and the reviewers' replies, oldest first. */
    thread,
    project: { id: a.task.projectId, ...a.task.project },
    prompt: { messages: a.task.prompt.messages as { role: string; content: string }[], source: a.task.prompt.source },
    responses: order.map((id, i) => ({ id, label: String.fromCharCode(65 + i), content: byId.get(id)?.content ?? "", model: byId.get(id)?.model ?? null })),
    labels: {
      ranking: { groups: a.ranking as string[][], strengths: a.strengths } as Ranking,
      verdict: a.verdict,
      promptPolicy: a.promptPolicy,
      harmCategory: a.harmCategory,
      rubric: a.rubric as Record<string, string>,
      flags: a.flags as Record<string, string[]>,
      rationale: a.rationale,
    },
    timeSpentMs: a.timeSpentMs,
    createdAt: a.createdAt,
    isGold: a.task.isGold,
    goldAnswer: goldAnswerHidden ? null : a.task.goldAnswer,
    goldAnswerHidden,
    others: a.task.annotations.map((o) => ({
      id: o.id,
      annotatorName: o.annotator?.name ?? null,
      ranking: o.ranking as string[][],
      promptPolicy: o.promptPolicy,
      rubric: o.rubric as Record<string, string>,
      reviewState: o.reviewState,
    })),
  };
}

/** Locks the annotation for this review and refuses reviewing one's own work. */
async function lockForReview(tx: Tx, annotationId: string, reviewerId: string) {
  const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM annotation WHERE id = ${annotationId} FOR UPDATE`;
  if (!locked) throw new AppError("NOT_FOUND", `No annotation ${annotationId}`);
  const a = await tx.annotation.findUniqueOrThrow({
    where: { id: annotationId },
    select: {
      id: true,
      taskId: true,
      annotatorId: true,
      origin: true,
      reviewState: true,
      reviewNote: true,
      ranking: true,
      strengths: true,
      verdict: true,
      shownOrder: true,
      promptPolicy: true,
      harmCategory: true,
      rubric: true,
      flags: true,
      rationale: true,
      task: { select: { project: { select: { mode: true, tiesAllowed: true, harmTaxonomy: true } }, responses: { select: { id: true } } } },
    },
  });
  if (a.annotatorId === reviewerId) throw new AppError("FORBIDDEN", "You cannot review your own work");
  return a;
}

type Locked = Awaited<ReturnType<typeof lockForReview>>;

function labelsOf(a: Locked) {
  return {
    ranking: a.ranking,
    strengths: a.strengths,
    verdict: a.verdict,
    promptPolicy: a.promptPolicy,
    harmCategory: a.harmCategory,
    rubric: a.rubric,
    flags: a.flags,
    rationale: a.rationale,
  } as Prisma.InputJsonObject;
}

async function audit(tx: Tx, reviewerId: string, action: string, annotationId: string, before: Prisma.InputJsonObject, after: Prisma.InputJsonObject) {
  await tx.auditLog.create({ data: { actorId: reviewerId, action, target: `annotation:${annotationId}`, before, after } });
}

const reviewResultSelect = { id: true, reviewState: true, reviewedAt: true, reviewNote: true } satisfies Prisma.AnnotationSelect;

export async function acceptAnnotation(db: Db, { annotationId }: { annotationId: string }, reviewerId: string) {
  return db.$transaction(async (tx) => {
    const a = await lockForReview(tx, annotationId, reviewerId);
    if (a.reviewState === "rejected") throw new AppError("CONFLICT", "This annotation was rejected; its slot went back to the pool");
    const updated = await tx.annotation.update({
      where: { id: annotationId },
      data: { reviewState: "accepted", reviewedById: reviewerId, reviewedAt: new Date() },
      select: reviewResultSelect,
    });
    await audit(tx, reviewerId, "annotation.accept", annotationId, { reviewState: a.reviewState }, { reviewState: "accepted" });
    return updated;
  });
}

/** The annotation stays for the record, loses its pairs, and its slot goes back to the pool. */
export async function rejectAnnotation(db: Db, { annotationId, reason }: { annotationId: string; reason: string }, reviewerId: string) {
  return db.$transaction(async (tx) => {
    const a = await lockForReview(tx, annotationId, reviewerId);
    if (a.reviewState === "rejected") throw new AppError("CONFLICT", "This annotation is already rejected");
    const updated = await tx.annotation.update({
      where: { id: annotationId },
      data: { reviewState: "rejected", reviewedById: reviewerId, reviewedAt: new Date(), reviewNote: reason },
      select: reviewResultSelect,
    });
    await tx.preferencePair.deleteMany({ where: { annotationId } });
    // Only annotators' work fills a task's slots (an imported judgement never took one), so only it gives one back.
    if (a.origin === "human") await tx.task.update({ where: { id: a.taskId }, data: { annotationCount: { decrement: 1 } } });
    await audit(tx, reviewerId, "annotation.reject", annotationId, { reviewState: a.reviewState }, { reviewState: "rejected", reason });
    return updated;
  });
}

/** A reviewer's correction replaces the labels and the pairs in one transaction; the audit row keeps both versions. */
export async function correctAnnotation(
  db: Db,
  { annotationId, labels, note }: { annotationId: string; labels: SubmitInput["labels"]; note: string | null },
  reviewerId: string,
) {
  return db.$transaction(async (tx) => {
    const a = await lockForReview(tx, annotationId, reviewerId);
    if (a.reviewState === "rejected") throw new AppError("CONFLICT", "A rejected annotation cannot be corrected");
    const responseIds = a.shownOrder.length ? a.shownOrder : a.task.responses.map((r) => r.id);
    const project = a.task.project;
    const ranking = resolveRanking(labels, responseIds, project.mode);
    const full: SubmissionLabels = { ...labels, ranking };
    const check = validateSubmission(full, {
      responseIds,
      tiesAllowed: project.tiesAllowed || project.mode === "pairwise",
      harmTaxonomy: project.harmTaxonomy,
    });
    if (!check.ok) throw new AppError("BAD_REQUEST", check.errors.join("; "));

    const corrected = {
      ranking: ranking.groups,
      strengths: ranking.strengths,
      verdict: labels.verdict ?? null,
      promptPolicy: full.promptPolicy,
      harmCategory: full.harmCategory,
      rubric: full.rubric,
      flags: full.flags,
      rationale: full.rationale,
    };
    const updated = await tx.annotation.update({
      where: { id: annotationId },
      data: {
        ...corrected,
        reviewState: "corrected",
        reviewedById: reviewerId,
        reviewedAt: new Date(),
        reviewNote: note,
      },
      select: reviewResultSelect,
    });
    await tx.preferencePair.deleteMany({ where: { annotationId } });
    const pairs = derivePairs(ranking);
    if (pairs.length) {
      await tx.preferencePair.createMany({
        data: pairs.map((p) => ({
          annotationId,
          taskId: a.taskId,
          chosenResponseId: p.chosenId,
          rejectedResponseId: p.rejectedId,
          margin: p.margin,
          strength: p.strength,
          chosenRank: p.chosenRank,
          rejectedRank: p.rejectedRank,
        })),
      });
    }
    const after = { ...corrected, reviewState: "corrected", note };
    await audit(tx, reviewerId, "annotation.correct", annotationId, { ...labelsOf(a), reviewState: a.reviewState }, after as Prisma.InputJsonObject);
    return { ...updated, pairs: pairs.length };
  });
}

export type { ReviewState };
