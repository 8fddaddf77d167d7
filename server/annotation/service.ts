import { randomUUID } from "node:crypto";
import type { Db } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client";
import { leaseExpiry, poolOrder, shuffled, type Pool, type Rng } from "./assignment-policy";
import { chosenRejected, derivePairs, rankingFromVerdict, type PairwiseVerdict, type Strength } from "./ranking";
import { validateSubmission, type SubmissionLabels } from "./submission";

type Tx = Prisma.TransactionClient;

export type Clock = { now: () => Date; rng: Rng };
const systemClock: Clock = { now: () => new Date(), rng: Math.random };


// ---- Handing out work
//
// Next-task and submit are what every annotator does all day, so they are written as a few
// hand-written statements each (one round trip per step) rather than as ORM calls.

const maxCandidates = 20;

/**
 * The next task of one pool this annotator may take, locked. Tasks closest to completion first:
 * finished items are worth more than many half-done ones; then the highest priority (0 for every
 * task unless the project is in uncertainty order, and always 0 for gold, which orders by it only
 * to read the same index); then the oldest. Gold and regular pools are separate statements so each
 * reads its index range in order instead of sorting (checked with EXPLAIN in
 * assignment-order.integration.test.ts).
 */
export function candidateQuery(pool: Pool, q: { projectId: string; annotatorId: string; overlap: number; now: Date; tried: string[] }): Prisma.Sql {
  return pool === "gold"
    ? Prisma.sql`
        SELECT t.id, ARRAY(SELECT r.id FROM response r WHERE r."taskId" = t.id ORDER BY r.index) AS "responseIds"
        FROM task t
        WHERE t."projectId" = ${q.projectId} AND t."isGold" AND t.rankable
          AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = ${q.annotatorId})
          AND NOT (t.id = ANY(${q.tried}::text[]))
        ORDER BY t."annotationCount" DESC, t.priority DESC, t."createdAt", t.id
        LIMIT 1
        FOR UPDATE OF t SKIP LOCKED`
    : Prisma.sql`
        SELECT t.id, ARRAY(SELECT r.id FROM response r WHERE r."taskId" = t.id ORDER BY r.index) AS "responseIds"
        FROM task t
        WHERE t."projectId" = ${q.projectId} AND NOT t."isGold" AND t.rankable AND t."annotationCount" < ${q.overlap}
          AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = ${q.annotatorId})
          -- Pre-filter on this statement's snapshot so fully leased tasks are passed over;
          -- the recount in the insert below is what guarantees the overlap.
          AND t."annotationCount" + (SELECT count(*) FROM assignment a
                WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > ${q.now}) < ${q.overlap}
          AND NOT (t.id = ANY(${q.tried}::text[]))
        ORDER BY t."annotationCount" DESC, t.priority DESC, t."createdAt", t.id
        LIMIT 1
        FOR UPDATE OF t SKIP LOCKED`;
}

/**
 * The annotator's live lease in this project if they have one (so a reload resumes it), else a
 * new lease on a task they have not seen that still has a free slot.
 *
 * Every writer of a task's assignments locks the task row first (FOR UPDATE SKIP LOCKED), and the
 * free slot is counted again after the lock by the statement that inserts the lease, whose fresh
 * snapshot sees every committed lease: concurrent annotators never share a slot and a task never
 * exceeds its overlap. Gold items are answered by everyone, so they have no overlap limit. A task
 * that is not rankable (one response, from a thumbs import) is never handed out.
 */
export async function nextAssignment(
  db: Db,
  { projectId, annotatorId }: { projectId: string; annotatorId: string },
  clock: Clock = systemClock,
): Promise<{ assignmentId: string } | null> {
  const now = clock.now();
  const [project] = await db.$queryRaw<{ overlap: number; goldRate: number; leaseMinutes: number; archived: boolean; liveAssignmentId: string | null }[]>`
    SELECT p.overlap, p."goldRate", p."leaseMinutes", p."archivedAt" IS NOT NULL AS archived,
      (SELECT a.id FROM assignment a JOIN task t ON t.id = a."taskId"
        WHERE a."annotatorId" = ${annotatorId} AND a.state = 'leased' AND a."leaseExpiresAt" > ${now} AND t."projectId" = p.id
        ORDER BY a."createdAt" LIMIT 1) AS "liveAssignmentId"
    FROM project p WHERE p.id = ${projectId}`;
  if (!project || project.archived) throw new AppError("NOT_FOUND", `No active project with id ${projectId}`);
  if (project.liveAssignmentId) return { assignmentId: project.liveAssignmentId };

  return db.$transaction(async (tx) => {
    for (const pool of poolOrder(project.goldRate, clock.rng)) {
      const tried: string[] = [];
      for (let attempt = 0; attempt < maxCandidates; attempt++) {
        const [candidate] = await tx.$queryRaw<{ id: string; responseIds: string[] }[]>(
          candidateQuery(pool, { projectId, annotatorId, overlap: project.overlap, now, tried }),
        );
        if (!candidate) break;
        tried.push(candidate.id);
        const [lease] = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO assignment (id, "taskId", "annotatorId", state, "leaseExpiresAt", "shownOrder", "createdAt")
          SELECT ${randomUUID()}, t.id, ${annotatorId}, 'leased', ${leaseExpiry(now, project.leaseMinutes)},
                 ${shuffled(candidate.responseIds, clock.rng)}::text[], ${now}
          FROM task t
          WHERE t.id = ${candidate.id}
            AND (t."isGold" OR t."annotationCount" + (SELECT count(*) FROM assignment a
                  WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > ${now}) < ${project.overlap})
          RETURNING id`;
        if (lease) return { assignmentId: lease.id };
      }
    }
    return null;
  });
}

type AssignmentViewRow = {
  id: string;
  annotatorId: string;
  state: "leased" | "submitted" | "skipped" | "expired";
  leaseExpiresAt: Date;
  createdAt: Date;
  shownOrder: string[];
  project: {
    id: string;
    name: string;
    mode: "rank" | "pairwise";
    tiesAllowed: boolean;
    defaultStrength: Strength | null;
    guidelines: string;
    guidelinesVersion: number;
    harmTaxonomy: string[];
    rewardTable: Prisma.JsonValue;
  };
  promptId: string;
  messages: { role: string; content: string }[];
  responses: { id: string; content: string }[];
  /** The better answer already saved for this assignment, if any. */
  demonstration: { id: string; content: string; basedOnResponseId: string | null } | null;
};

/** What the annotator sees: never other people's labels, never whether the item is gold. */
export async function getAssignmentView(db: Db, { assignmentId, annotatorId }: { assignmentId: string; annotatorId: string }) {
  // One statement for the whole screen.
  const [a] = await db.$queryRaw<AssignmentViewRow[]>`
    SELECT a.id, a."annotatorId", a.state, a."leaseExpiresAt", a."createdAt", a."shownOrder",
      json_build_object('id', p.id, 'name', p.name, 'mode', p.mode, 'tiesAllowed', p."tiesAllowed", 'defaultStrength', p."defaultStrength", 'guidelines', p.guidelines,
        'guidelinesVersion', p."guidelinesVersion", 'harmTaxonomy', p."harmTaxonomy", 'rewardTable', p."rewardTable") AS project,
      pr.id AS "promptId", pr.messages,
      (SELECT json_agg(json_build_object('id', r.id, 'content', r.content)) FROM response r WHERE r."taskId" = t.id) AS responses,
      (SELECT json_build_object('id', d.id, 'content', d.content, 'basedOnResponseId', d."basedOnResponseId") FROM demonstration d WHERE d."assignmentId" = a.id) AS demonstration
    FROM assignment a JOIN task t ON t.id = a."taskId" JOIN project p ON p.id = t."projectId" JOIN prompt pr ON pr.id = t."promptId"
    WHERE a.id = ${assignmentId}`;
  if (!a || a.annotatorId !== annotatorId) throw new AppError("NOT_FOUND", `No assignment ${assignmentId} for you`);
  const byId = new Map(a.responses.map((r) => [r.id, r]));
  return {
    assignmentId: a.id,
    state: a.state,
    leaseExpiresAt: a.leaseExpiresAt,
    startedAt: a.createdAt,
    project: a.project,
    prompt: { id: a.promptId, messages: a.messages },
    // Letters follow the shown order, so "A" is always the first response on screen.
    responses: a.shownOrder.map((id, i) => ({ id, label: String.fromCharCode(65 + i), content: byId.get(id)?.content ?? "" })),
    demonstration: a.demonstration,
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

export type SubmitResult = { annotationId: string; taskId: string; projectId: string; assignmentId: string | null; pairs: number; createdAt: Date };

async function previousSubmission(db: Db, idempotencyKey: string, annotatorId: string): Promise<SubmitResult | null> {
  const previous = await db.annotation.findUnique({
    where: { idempotencyKey },
    select: { id: true, taskId: true, assignmentId: true, createdAt: true, annotatorId: true, task: { select: { projectId: true } }, _count: { select: { pairs: true } } },
  });
  if (!previous) return null;
  if (previous.annotatorId !== annotatorId) throw new AppError("CONFLICT", "This idempotency key was already used by someone else");
  return {
    annotationId: previous.id,
    taskId: previous.taskId,
    projectId: previous.task.projectId,
    assignmentId: previous.assignmentId,
    pairs: previous._count.pairs,
    createdAt: previous.createdAt,
  };
}

type SubmitTarget = {
  annotatorId: string;
  state: string;
  leaseExpiresAt: Date;
  shownOrder: string[];
  taskId: string;
  projectId: string;
  mode: "rank" | "pairwise";
  tiesAllowed: boolean;
  harmTaxonomy: string[];
  guidelinesVersion: number;
  usedKey: boolean;
};

/**
 * Validates and stores a judgement with its preference pairs, atomically. A retry with the same
 * idempotency key returns the first result and writes nothing.
 *
 * Two statements and no held transaction: a read of what validation needs, then one write that
 * finishes the lease only if it is still this annotator's live lease and, in the same statement,
 * stores the annotation, its pairs and the task's counter. Of two concurrent submits of one lease
 * the second waits on the first's row lock, then finds the lease no longer live and writes nothing.
 */
export async function submitAnnotation(db: Db, input: SubmitInput, clock: Clock = systemClock): Promise<SubmitResult> {
  const [target] = await db.$queryRaw<SubmitTarget[]>`
    SELECT a."annotatorId", a.state, a."leaseExpiresAt", a."shownOrder", a."taskId", t."projectId",
           p.mode, p."tiesAllowed", p."harmTaxonomy", p."guidelinesVersion",
           EXISTS (SELECT 1 FROM annotation n WHERE n."idempotencyKey" = ${input.idempotencyKey}) AS "usedKey"
    FROM assignment a JOIN task t ON t.id = a."taskId" JOIN project p ON p.id = t."projectId"
    WHERE a.id = ${input.assignmentId}`;
  if (!target || target.usedKey) {
    const previous = await previousSubmission(db, input.idempotencyKey, input.annotatorId);
    if (previous) return previous;
  }
  if (!target) throw new AppError("NOT_FOUND", `No assignment ${input.assignmentId}`);
  if (target.annotatorId !== input.annotatorId) throw new AppError("FORBIDDEN", "This task is leased to another annotator");
  if (target.state !== "leased") throw new AppError("CONFLICT", `This task was already ${target.state}`);
  const now = clock.now();
  // A lease past its expiry no longer counts as live, so its slot is already back in the pool.
  if (target.leaseExpiresAt <= now) throw leaseExpired();

  const ranking = resolveRanking(input.labels, target.shownOrder, target.mode);
  const labels: SubmissionLabels = { ...input.labels, ranking };
  const check = validateSubmission(labels, {
    responseIds: target.shownOrder,
    tiesAllowed: target.tiesAllowed || target.mode === "pairwise",
    harmTaxonomy: target.harmTaxonomy,
  });
  if (!check.ok) throw new AppError("BAD_REQUEST", check.errors.join("; "));

  const annotationId = randomUUID();
  const pairs = derivePairs(ranking).map(chosenRejected);
  const [written] = await db.$queryRaw<{ n: number }[]>`
    WITH lease AS (
      UPDATE assignment SET state = 'submitted', "finishedAt" = ${now}
      WHERE id = ${input.assignmentId} AND "annotatorId" = ${input.annotatorId} AND state = 'leased' AND "leaseExpiresAt" > ${now}
      RETURNING "taskId"),
    annotation AS (
      INSERT INTO annotation (id, "taskId", "assignmentId", "annotatorId", "idempotencyKey", ranking, strengths, verdict, "shownOrder",
                              "promptPolicy", "harmCategory", rubric, flags, rationale, "timeSpentMs", "guidelinesVersion", "createdAt")
      SELECT ${annotationId}, lease."taskId", ${input.assignmentId}, ${input.annotatorId}, ${input.idempotencyKey},
             ${JSON.stringify(ranking.groups)}::jsonb, ${ranking.strengths}::text[], ${input.labels.verdict ?? null}, ${target.shownOrder}::text[],
             ${labels.promptPolicy}::"PromptPolicy", ${labels.harmCategory}, ${JSON.stringify(labels.rubric)}::jsonb,
             ${JSON.stringify(labels.flags)}::jsonb, ${labels.rationale}, ${input.timeSpentMs}, ${target.guidelinesVersion}, ${now}
      FROM lease
      RETURNING id, "taskId"),
    pairs AS (
      INSERT INTO preference_pair ("annotationId", "taskId", "chosenResponseId", "rejectedResponseId", margin, strength, "chosenRank", "rejectedRank", "createdAt")
      SELECT annotation.id, annotation."taskId", p.chosen, p.rejected, p.margin, p.strength, p."chosenRank", p."rejectedRank", ${now}
      FROM annotation, jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb)
        AS p(chosen text, rejected text, margin float8, strength text, "chosenRank" int, "rejectedRank" int)),
    counter AS (UPDATE task SET "annotationCount" = "annotationCount" + 1 WHERE id IN (SELECT "taskId" FROM annotation))
    SELECT count(*)::int AS n FROM annotation`;
  if (written?.n !== 1) {
    // Someone else finished this lease between the read and the write: a double submit, a skip, or
    // the lease ran out.
    const previous = await previousSubmission(db, input.idempotencyKey, input.annotatorId);
    if (previous) return previous;
    const [current] = await db.$queryRaw<{ state: string }[]>`SELECT state FROM assignment WHERE id = ${input.assignmentId}`;
    if (current?.state === "leased") throw leaseExpired();
    throw new AppError("CONFLICT", `This task was already ${current?.state ?? "removed"}`);
  }
  return { annotationId, taskId: target.taskId, projectId: target.projectId, assignmentId: input.assignmentId, pairs: pairs.length, createdAt: now };
}

function leaseExpired() {
  return new AppError("CONFLICT", "Your lease on this task expired; it went back to the pool. Take the next task.");
}

/** The ranking a judgement stands for: pairwise verdicts become a two-group ranking. */
export function resolveRanking(labels: SubmitInput["labels"], shownOrder: string[], mode: "rank" | "pairwise") {
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

/**
 * One better answer per assignment, edited in place by later saves (a retry with the same key
 * changes nothing). It may be written while the lease is live, or within the project's lease time
 * after submitting; a skipped or expired task takes none.
 */
export async function saveDemonstration(
  db: Db,
  input: { assignmentId: string; authorId: string; content: string; basedOnResponseId: string | null; idempotencyKey: string },
  clock: Clock = systemClock,
) {
  return db.$transaction(async (tx) => {
    const [a] = await tx.$queryRaw<{ annotatorId: string; taskId: string; shownOrder: string[]; state: string; leaseExpiresAt: Date; finishedAt: Date | null; leaseMinutes: number }[]>`
      SELECT a."annotatorId", a."taskId", a."shownOrder", a.state, a."leaseExpiresAt", a."finishedAt", p."leaseMinutes"
      FROM assignment a JOIN task t ON t.id = a."taskId" JOIN project p ON p.id = t."projectId"
      WHERE a.id = ${input.assignmentId} FOR UPDATE OF a`;
    if (!a || a.annotatorId !== input.authorId) throw new AppError("NOT_FOUND", `No assignment ${input.assignmentId} for you`);
    if (input.basedOnResponseId && !a.shownOrder.includes(input.basedOnResponseId)) {
      throw new AppError("BAD_REQUEST", `Response ${input.basedOnResponseId} is not part of this task`);
    }
    const now = clock.now().getTime();
    const live = a.state === "leased" && a.leaseExpiresAt.getTime() > now;
    const justSubmitted = a.state === "submitted" && a.finishedAt !== null && now - a.finishedAt.getTime() <= a.leaseMinutes * 60_000;
    if (!live && !justSubmitted) {
      const what = a.state === "leased" || a.state === "expired" ? "its lease ran out" : a.state === "submitted" ? `it was submitted more than ${a.leaseMinutes} minutes ago` : `it was ${a.state}`;
      throw new AppError("CONFLICT", `This task's better answer can no longer be written or changed: ${what}`);
    }
    const select = { id: true, createdAt: true, updatedAt: true } as const;
    const existing = await tx.demonstration.findUnique({ where: { assignmentId: input.assignmentId }, select: { ...select, idempotencyKey: true } });
    if (existing) {
      if (existing.idempotencyKey === input.idempotencyKey) return { id: existing.id, createdAt: existing.createdAt, updatedAt: existing.updatedAt };
      return tx.demonstration.update({ where: { id: existing.id }, data: { content: input.content, basedOnResponseId: input.basedOnResponseId }, select });
    }
    return tx.demonstration.create({
      data: {
        taskId: a.taskId,
        assignmentId: input.assignmentId,
        authorId: input.authorId,
        content: input.content,
        basedOnResponseId: input.basedOnResponseId,
        idempotencyKey: input.idempotencyKey,
      },
      select,
    });
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
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND NOT t."isGold" AND t.rankable) AS total,
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND NOT t."isGold" AND t.rankable AND t."annotationCount" >= p.overlap) AS complete,
      (SELECT count(*) FROM task t WHERE t."projectId" = p.id AND t.rankable AND (t."isGold" OR t."annotationCount" < p.overlap)
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
