// Active learning: an `acquire` run scores a project's unlabelled tasks by how much an ensemble of
// reward models disagrees on them; in `uncertainty` order those scores become the tasks'
// priorities, so annotators label first what the models know least. In `imported` order every
// priority is 0 and tasks are served as imported.
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma, TaskOrder } from "../generated/prisma/client";
import { writeAudit } from "../audit/log";

type Tx = Prisma.TransactionClient;

/** One task's line of the trainer's acquisition.jsonl. */
export type AcquisitionScore = { taskId: string; score: number; disagreement: number; margin: number; borderline: number | null };

/** The project row, locked: order switches and a finishing acquisition never interleave. */
async function lockProject(tx: Tx, projectId: string) {
  const [project] = await tx.$queryRaw<{ id: string; taskOrder: TaskOrder }[]>`
    SELECT id, "taskOrder" FROM project WHERE id = ${projectId} FOR UPDATE`;
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  return project;
}

/** The project's most recent succeeded `acquire` run, if any. */
export async function latestAcquisitionJob(db: Db | Tx, projectId: string) {
  return db.job.findFirst({
    where: { kind: "acquire", state: "succeeded", payload: { path: ["projectId"], equals: projectId } },
    orderBy: [{ finishedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    select: { id: true, payload: true, result: true, createdAt: true, finishedAt: true, createdById: true },
  });
}

/**
 * Makes the tasks' priorities those of acquisition `jobId`: its score for each task it scored
 * (higher is served first), 0 for the rest. Gold tasks keep 0. Two statements, whatever the size
 * of the project.
 */
async function applyScores(tx: Tx, projectId: string, jobId: string): Promise<number> {
  await tx.$executeRaw`UPDATE task SET priority = 0 WHERE "projectId" = ${projectId} AND priority <> 0`;
  return tx.$executeRaw`
    UPDATE task t SET priority = s.score
    FROM task_acquisition s
    WHERE s."jobId" = ${jobId} AND s."taskId" = t.id AND t."projectId" = ${projectId} AND NOT t."isGold"`;
}

/**
 * Switches how the project's regular tasks are ordered. `uncertainty` applies the latest
 * acquisition's scores and is refused when no acquisition has succeeded yet; `imported` resets
 * every priority to 0. Audited; switching to the order already set changes nothing.
 */
export async function setTaskOrder(db: Db, { projectId, order }: { projectId: string; order: TaskOrder }, actorId: string) {
  return db.$transaction(async (tx) => {
    const project = await lockProject(tx, projectId);
    if (project.taskOrder === order) return { projectId, taskOrder: order, changed: false, acquisitionJobId: null, prioritised: 0 };
    let acquisitionJobId: string | null = null;
    let prioritised = 0;
    if (order === "uncertainty") {
      const latest = await latestAcquisitionJob(tx, projectId);
      if (!latest) {
        throw new AppError(
          "CONFLICT",
          "No acquisition run has scored this project's tasks yet: start an acquire run (Runs → New run → Acquisition) and switch once it has succeeded",
        );
      }
      acquisitionJobId = latest.id;
      prioritised = await applyScores(tx, projectId, latest.id);
    } else {
      await tx.$executeRaw`UPDATE task SET priority = 0 WHERE "projectId" = ${projectId} AND priority <> 0`;
    }
    await tx.project.update({ where: { id: projectId }, data: { taskOrder: order } });
    await writeAudit(tx, {
      actorId,
      action: "project.taskOrder",
      target: `project:${projectId}`,
      projectId,
      before: { taskOrder: project.taskOrder },
      after: { taskOrder: order, ...(acquisitionJobId ? { acquisitionJobId, prioritised } : {}) },
    });
    return { projectId, taskOrder: order, changed: true, acquisitionJobId, prioritised };
  });
}

const insertBatch = 5000;

/**
 * Stores an acquisition run's scores, ranked 1..n by score (highest first), replacing any a
 * previous attempt of the same job stored; tasks deleted since the pool was written are left out.
 * When the project is in `uncertainty` order, the scores become the tasks' priorities at once.
 */
export async function recordAcquisition(db: Db, { jobId, projectId, scores }: { jobId: string; projectId: string; scores: AcquisitionScore[] }) {
  const ranked = scores
    .map((s, i) => ({ ...s, i }))
    // Stable: ties keep the trainer's order.
    .sort((a, b) => b.score - a.score || a.i - b.i);
  return db.$transaction(
    async (tx) => {
      const project = await lockProject(tx, projectId);
      await tx.taskAcquisition.deleteMany({ where: { jobId } });
      const ids = ranked.map((s) => s.taskId);
      const existing = new Set<string>();
      for (let i = 0; i < ids.length; i += insertBatch) {
        const rows = await tx.task.findMany({ where: { projectId, id: { in: ids.slice(i, i + insertBatch) } }, select: { id: true } });
        for (const r of rows) existing.add(r.id);
      }
      const kept = ranked.filter((s) => existing.has(s.taskId));
      for (let i = 0; i < kept.length; i += insertBatch) {
        await tx.taskAcquisition.createMany({
          data: kept.slice(i, i + insertBatch).map((s, j) => ({
            jobId,
            taskId: s.taskId,
            rank: i + j + 1,
            score: s.score,
            disagreement: s.disagreement,
            margin: s.margin,
            borderline: s.borderline,
          })),
        });
      }
      const applied = project.taskOrder === "uncertainty";
      const prioritised = applied ? await applyScores(tx, projectId, jobId) : 0;
      return { stored: kept.length, unknownTasks: scores.length - kept.length, applied, prioritised };
    },
    { timeout: 120_000 },
  );
}

type TopRow = {
  taskId: string;
  rank: number;
  score: number;
  disagreement: number;
  margin: number;
  borderline: number | null;
  annotationCount: number;
  priority: number;
  excerpt: string | null;
};

const excerptChars = 200;

/**
 * The latest succeeded acquisition of the project (null when none), with its tasks of highest
 * disagreement: each with an excerpt of its prompt (the last user message), its rank by score and
 * how many labels it has by now.
 */
export async function latestAcquisition(db: Db, { projectId, limit }: { projectId: string; limit: number }) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { taskOrder: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const job = await latestAcquisitionJob(db, projectId);
  if (!job) return { taskOrder: project.taskOrder, job: null, tasks: 0, top: [] };
  const [count] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM task_acquisition WHERE "jobId" = ${job.id}`;
  const top = await db.$queryRaw<TopRow[]>`
    SELECT s."taskId", s.rank, s.score, s.disagreement, s.margin, s.borderline, t."annotationCount", t.priority,
      left((SELECT m.value->>'content' FROM jsonb_array_elements(pr.messages) WITH ORDINALITY AS m(value, n)
            WHERE m.value->>'role' = 'user' ORDER BY m.n DESC LIMIT 1), ${excerptChars + 1}) AS excerpt
    FROM task_acquisition s JOIN task t ON t.id = s."taskId" JOIN prompt pr ON pr.id = t."promptId"
    WHERE s."jobId" = ${job.id}
    ORDER BY s.disagreement DESC, s.rank
    LIMIT ${limit}`;
  const payload = job.payload as { rewardModelIds?: string[]; safetyModelId?: string; name?: string };
  return {
    taskOrder: project.taskOrder,
    job: {
      id: job.id,
      name: payload.name ?? null,
      rewardModelIds: payload.rewardModelIds ?? [],
      safetyModelId: payload.safetyModelId ?? null,
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
    },
    tasks: count?.n ?? 0,
    top: top.map((r) => ({ ...r, excerpt: r.excerpt !== null && r.excerpt.length > excerptChars ? `${r.excerpt.slice(0, excerptChars)}…` : r.excerpt })),
  };
}
