import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { hasFreeSlot, leaseExpiry, poolOrder, shuffled, type Rng } from "./assignment-policy";
import { derivePairs, rankingFromVerdict, type PairwiseVerdict } from "./ranking";
import { validateSubmission, type SubmissionLabels } from "./submission";

type Tx = Prisma.TransactionClient;

export type Clock = { now: () => Date; rng: Rng };
const systemClock: Clock = { now: () => new Date(), rng: Math.random };

async function getActiveProjectOrThrow(db: Db | Tx, projectId: string) {
  const project = await db.project.findUnique({
    where: { id: projectId },
    select: {
      id: true,
      name: true,
      mode: true,
      k: true,
      tiesAllowed: true,
      overlap: true,
      goldRate: true,
      leaseMinutes: true,
      guidelines: true,
      guidelinesVersion: true,
      harmTaxonomy: true,
      rewardTable: true,
      archivedAt: true,
    },
  });
  if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${projectId}`);
  return project;
}

// ---- Handing out work

const maxCandidates = 20;

/**
 * The annotator's live lease in this project if they have one (so a reload resumes it), else a
 * new lease on a task they have not seen that still has a free slot.
 *
 * Every writer of a task's assignments locks the task row first (FOR UPDATE SKIP LOCKED), and the
 * free-slot count is taken after the lock in a fresh statement, so it sees every committed lease:
 * concurrent annotators never share a slot and a task never exceeds its overlap.
 */
export async function nextAssignment(
  db: Db,
  { projectId, annotatorId }: { projectId: string; annotatorId: string },
  clock: Clock = systemClock,
): Promise<{ assignmentId: string } | null> {
  const project = await getActiveProjectOrThrow(db, projectId);
  return db.$transaction(async (tx) => {
    const now = clock.now();
    const live = await tx.assignment.findFirst({
      where: { annotatorId, state: "leased", leaseExpiresAt: { gt: now }, task: { projectId } },
      orderBy: { createdAt: "asc" },
      select: { id: true },
    });
    if (live) return { assignmentId: live.id };

    for (const pool of poolOrder(project.goldRate, clock.rng)) {
      const tried: string[] = [];
      for (let attempt = 0; attempt < maxCandidates; attempt++) {
        // Tasks closest to completion first: finished items are worth more than many half-done ones.
        // Gold and regular pools are separate statements so each reads its index range directly.
        const [candidate] =
          pool === "gold"
            ? await tx.$queryRaw<{ id: string; isGold: boolean }[]>`
                SELECT t.id, t."isGold" FROM task t
                WHERE t."projectId" = ${projectId} AND t."isGold"
                  AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = ${annotatorId})
                  AND NOT (t.id = ANY(${tried}::text[]))
                ORDER BY t."annotationCount" DESC, t."createdAt", t.id
                LIMIT 1
                FOR UPDATE OF t SKIP LOCKED`
            : await tx.$queryRaw<{ id: string; isGold: boolean }[]>`
                SELECT t.id, t."isGold" FROM task t
                WHERE t."projectId" = ${projectId} AND NOT t."isGold" AND t."annotationCount" < ${project.overlap}
                  AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = ${annotatorId})
                  -- Pre-filter on this statement's snapshot so fully leased tasks are passed over;
                  -- the recount after the lock below is what guarantees the overlap.
                  AND t."annotationCount" + (SELECT count(*) FROM assignment a
                        WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > ${now}) < ${project.overlap}
                  AND NOT (t.id = ANY(${tried}::text[]))
                ORDER BY t."annotationCount" DESC, t."createdAt", t.id
                LIMIT 1
                FOR UPDATE OF t SKIP LOCKED`;
        if (!candidate) break;
        tried.push(candidate.id);
        const [task] = await tx.$queryRaw<{ annotationCount: number; liveLeases: bigint }[]>`
          SELECT t."annotationCount",
                 (SELECT count(*) FROM assignment a
                   WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > ${now}) AS "liveLeases"
          FROM task t WHERE t.id = ${candidate.id}`;
        if (!task || !hasFreeSlot({ isGold: candidate.isGold, annotationCount: task.annotationCount }, Number(task.liveLeases), project.overlap)) {
          continue;
        }
        const responses = await tx.response.findMany({ where: { taskId: candidate.id }, select: { id: true }, orderBy: { index: "asc" } });
        const assignment = await tx.assignment.create({
          data: {
            taskId: candidate.id,
            annotatorId,
            leaseExpiresAt: leaseExpiry(now, project.leaseMinutes),
            shownOrder: shuffled(
              responses.map((r) => r.id),
              clock.rng,
            ),
          },
          select: { id: true },
        });
        return { assignmentId: assignment.id };
      }
    }
    return null;
  });
}

export async function projectOfAssignment(db: Db, assignmentId: string): Promise<string> {
  const a = await db.assignment.findUnique({ where: { id: assignmentId }, select: { task: { select: { projectId: true } } } });
  if (!a) throw new AppError("NOT_FOUND", `No assignment ${assignmentId}`);
  return a.task.projectId;
}

/** What the annotator sees: never other people's labels, never whether the item is gold. */
export async function getAssignmentView(db: Db, { assignmentId, annotatorId }: { assignmentId: string; annotatorId: string }) {
  const a = await db.assignment.findUnique({
    where: { id: assignmentId },
    select: {
      id: true,
      annotatorId: true,
      state: true,
      leaseExpiresAt: true,
      shownOrder: true,
      createdAt: true,
      task: {
        select: {
          id: true,
          project: {
            select: { id: true, name: true, mode: true, tiesAllowed: true, guidelines: true, guidelinesVersion: true, harmTaxonomy: true, rewardTable: true },
          },
          prompt: { select: { id: true, messages: true } },
          responses: { select: { id: true, content: true } },
        },
      },
    },
  });
  if (!a || a.annotatorId !== annotatorId) throw new AppError("NOT_FOUND", `No assignment ${assignmentId} for you`);
  const byId = new Map(a.task.responses.map((r) => [r.id, r]));
  return {
    assignmentId: a.id,
    state: a.state,
    leaseExpiresAt: a.leaseExpiresAt,
    startedAt: a.createdAt,
    project: a.task.project,
    prompt: { id: a.task.prompt.id, messages: a.task.prompt.messages as { role: string; content: string }[] },
    // Letters follow the shown order, so "A" is always the first response on screen.
    responses: a.shownOrder.map((id, i) => ({ id, label: String.fromCharCode(65 + i), content: byId.get(id)?.content ?? "" })),
  };
}

// ---- Submitting

export type SubmitInput = {
  assignmentId: string;
  annotatorId: string;
  idempotencyKey: string;
  labels: Omit<SubmissionLabels, "ranking"> & { ranking?: SubmissionLabels["ranking"]; verdict?: PairwiseVerdict | null };
  timeSpentMs: number | null;
};

const annotationResultSelect = { id: true, taskId: true, assignmentId: true, createdAt: true, _count: { select: { pairs: true } } } satisfies Prisma.AnnotationSelect;

function toResult(a: Prisma.AnnotationGetPayload<{ select: typeof annotationResultSelect }>) {
  return { annotationId: a.id, taskId: a.taskId, assignmentId: a.assignmentId, pairs: a._count.pairs, createdAt: a.createdAt };
}

/**
 * Validates and stores a judgement with its preference pairs in one transaction. A retry with the
 * same idempotency key returns the first result and writes nothing.
 */
export async function submitAnnotation(db: Db, input: SubmitInput, clock: Clock = systemClock) {
  return db.$transaction(async (tx) => {
    // The lock serialises double submits of one assignment; the key check then sees the first.
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM assignment WHERE id = ${input.assignmentId} FOR UPDATE`;
    const previous = await tx.annotation.findUnique({ where: { idempotencyKey: input.idempotencyKey }, select: { ...annotationResultSelect, annotatorId: true } });
    if (previous) {
      if (previous.annotatorId !== input.annotatorId) throw new AppError("CONFLICT", "This idempotency key was already used by someone else");
      return toResult(previous);
    }
    if (!locked) throw new AppError("NOT_FOUND", `No assignment ${input.assignmentId}`);
    const assignment = await tx.assignment.findUniqueOrThrow({
      where: { id: input.assignmentId },
      select: {
        annotatorId: true,
        state: true,
        leaseExpiresAt: true,
        shownOrder: true,
        task: { select: { id: true, project: { select: { mode: true, tiesAllowed: true, harmTaxonomy: true, guidelinesVersion: true } } } },
      },
    });
    if (assignment.annotatorId !== input.annotatorId) throw new AppError("FORBIDDEN", "This task is leased to another annotator");
    if (assignment.state !== "leased") throw new AppError("CONFLICT", `This task was already ${assignment.state}`);
    if (assignment.leaseExpiresAt <= clock.now()) {
      await tx.assignment.update({ where: { id: input.assignmentId }, data: { state: "expired", finishedAt: clock.now() } });
      throw new AppError("CONFLICT", "Your lease on this task expired; it went back to the pool. Take the next task.");
    }
    const project = assignment.task.project;
    const ranking = resolveRanking(input.labels, assignment.shownOrder, project.mode);
    const labels: SubmissionLabels = { ...input.labels, ranking };
    const check = validateSubmission(labels, {
      responseIds: assignment.shownOrder,
      tiesAllowed: project.tiesAllowed || project.mode === "pairwise",
      harmTaxonomy: project.harmTaxonomy,
    });
    if (!check.ok) throw new AppError("BAD_REQUEST", check.errors.join("; "));

    const now = clock.now();
    const annotation = await tx.annotation.create({
      data: {
        taskId: assignment.task.id,
        assignmentId: input.assignmentId,
        annotatorId: input.annotatorId,
        idempotencyKey: input.idempotencyKey,
        ranking: ranking.groups,
        strengths: ranking.strengths,
        verdict: input.labels.verdict ?? null,
        shownOrder: assignment.shownOrder,
        promptPolicy: labels.promptPolicy,
        harmCategory: labels.harmCategory,
        rubric: labels.rubric,
        flags: labels.flags,
        rationale: labels.rationale,
        timeSpentMs: input.timeSpentMs,
        guidelinesVersion: project.guidelinesVersion,
        createdAt: now,
      },
      select: { id: true },
    });
    const pairs = derivePairs(ranking);
    if (pairs.length) {
      await tx.preferencePair.createMany({
        data: pairs.map((p) => ({
          annotationId: annotation.id,
          taskId: assignment.task.id,
          chosenResponseId: p.chosenId,
          rejectedResponseId: p.rejectedId,
          margin: p.margin,
          strength: p.strength,
          chosenRank: p.chosenRank,
          rejectedRank: p.rejectedRank,
        })),
      });
    }
    await tx.assignment.update({ where: { id: input.assignmentId }, data: { state: "submitted", finishedAt: now } });
    await tx.task.update({ where: { id: assignment.task.id }, data: { annotationCount: { increment: 1 } } });
    return toResult(await tx.annotation.findUniqueOrThrow({ where: { id: annotation.id }, select: annotationResultSelect }));
  });
}

function resolveRanking(labels: SubmitInput["labels"], shownOrder: string[], mode: "rank" | "pairwise") {
  if (mode === "pairwise") {
    const [a, b] = shownOrder;
    if (!labels.verdict || !a || !b) throw new AppError("BAD_REQUEST", "A pairwise task needs a verdict: a_better, b_better, tie or both_bad");
    return rankingFromVerdict(a, b, labels.verdict, labels.ranking?.strengths[0] ?? "clear");
  }
  if (!labels.ranking) throw new AppError("BAD_REQUEST", "A ranking is required");
  return labels.ranking;
}

// ---- Skips, reports, demonstrations

/** Locks the annotator's own live lease; anything else is refused. */
async function lockOwnLease(tx: Tx, assignmentId: string, annotatorId: string) {
  const [locked] = await tx.$queryRaw<{ annotatorId: string; state: string }[]>`
    SELECT "annotatorId", state FROM assignment WHERE id = ${assignmentId} FOR UPDATE`;
  if (!locked || locked.annotatorId !== annotatorId) throw new AppError("NOT_FOUND", `No assignment ${assignmentId} for you`);
  if (locked.state !== "leased") throw new AppError("CONFLICT", `This task was already ${locked.state}`);
}

/** A skip frees the slot for others; the annotator is not offered the task again. */
export async function skipAssignment(
  db: Db,
  { assignmentId, annotatorId, reason }: { assignmentId: string; annotatorId: string; reason: string },
  clock: Clock = systemClock,
) {
  return db.$transaction(async (tx) => {
    await lockOwnLease(tx, assignmentId, annotatorId);
    return tx.assignment.update({ where: { id: assignmentId }, data: { state: "skipped", skipReason: reason, finishedAt: clock.now() }, select: { id: true, state: true } });
  });
}

/** Reporting a prompt (PII, broken, …) records it for admins and skips the task. */
export async function reportPrompt(
  db: Db,
  input: { assignmentId: string; annotatorId: string; reason: "pii" | "broken" | "offensive" | "other"; note: string | null },
  clock: Clock = systemClock,
) {
  return db.$transaction(async (tx) => {
    await lockOwnLease(tx, input.assignmentId, input.annotatorId);
    const a = await tx.assignment.update({
      where: { id: input.assignmentId },
      data: { state: "skipped", skipReason: `reported: ${input.reason}`, finishedAt: clock.now() },
      select: { task: { select: { promptId: true } } },
    });
    return tx.promptReport.create({
      data: { promptId: a.task.promptId, reporterId: input.annotatorId, reason: input.reason, note: input.note },
      select: { id: true, reason: true },
    });
  });
}

export async function saveDemonstration(
  db: Db,
  input: { assignmentId: string; authorId: string; content: string; basedOnResponseId: string | null; idempotencyKey: string },
) {
  const a = await db.assignment.findUnique({ where: { id: input.assignmentId }, select: { annotatorId: true, taskId: true, shownOrder: true } });
  if (!a || a.annotatorId !== input.authorId) throw new AppError("NOT_FOUND", `No assignment ${input.assignmentId} for you`);
  if (input.basedOnResponseId && !a.shownOrder.includes(input.basedOnResponseId)) {
    throw new AppError("BAD_REQUEST", `Response ${input.basedOnResponseId} is not part of this task`);
  }
  return db.demonstration.upsert({
    where: { idempotencyKey: input.idempotencyKey },
    update: {},
    create: {
      taskId: a.taskId,
      authorId: input.authorId,
      content: input.content,
      basedOnResponseId: input.basedOnResponseId,
      idempotencyKey: input.idempotencyKey,
    },
    select: { id: true, createdAt: true },
  });
}

// ---- Progress

/** Per project: how much is left overall and for this annotator, and what they did today. */
export async function annotatorProgress(db: Db, { annotatorId, now = new Date() }: { annotatorId: string; now?: Date }) {
  const startOfDay = new Date(now);
  startOfDay.setHours(0, 0, 0, 0);
  const rows = await db.$queryRaw<
    { projectId: string; total: bigint; complete: bigint; availableToMe: bigint; doneToday: bigint; doneByMe: bigint }[]
  >`
    SELECT p.id AS "projectId",
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND NOT t."isGold") AS total,
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND NOT t."isGold" AND t."annotationCount" >= p.overlap) AS complete,
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND (t."isGold" OR t."annotationCount" < p.overlap)
         AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = ${annotatorId})) AS "availableToMe",
      (SELECT count(*) FROM annotation n JOIN task t ON t.id = n."taskId"
         WHERE t."projectId" = p.id AND n."annotatorId" = ${annotatorId} AND n."createdAt" >= ${startOfDay}) AS "doneToday",
      (SELECT count(*) FROM annotation n JOIN task t ON t.id = n."taskId"
         WHERE t."projectId" = p.id AND n."annotatorId" = ${annotatorId}) AS "doneByMe"
    FROM project p WHERE p."archivedAt" IS NULL`;
  return new Map(
    rows.map((r) => [
      r.projectId,
      {
        total: Number(r.total),
        complete: Number(r.complete),
        availableToMe: Number(r.availableToMe),
        doneToday: Number(r.doneToday),
        doneByMe: Number(r.doneByMe),
      },
    ]),
  );
}
