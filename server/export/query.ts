// Reads a project's labelled tasks in keyset-paged batches, so an export of any size holds one
// batch in memory at a time and pulls the next only when the consumer asks for it.
import type { Db } from "../db";
import { Prisma } from "../generated/prisma/client";
import type { ExportFilter } from "./filter";
import type { ExportAnnotation, ExportDemonstration, ExportTask, Message } from "./types";

export const defaultBatchSize = 500;

type TaskRow = {
  taskId: string;
  createdAt: Date;
  projectId: string;
  messages: Message[];
  source: ExportTask["source"];
  meta: Record<string, unknown>;
  responses: ExportTask["responses"];
  annotations: (Omit<ExportAnnotation, "createdAt" | "margins"> & { createdAt: string; margins: Record<string, number> | null })[];
};

/** The task's prompt `p` is in none of the project's evaluation sets. */
const notAnEvaluationPrompt = Prisma.sql`NOT EXISTS (SELECT 1 FROM evaluation_prompt ep JOIN evaluation_set es ON es.id = ep."setId"
  WHERE es."projectId" = t."projectId" AND ep."contentHash" = p."contentHash")`;

/** The SQL condition an annotation `n` must meet. */
export function annotationCondition(filter: ExportFilter, excludedAnnotators: string[]): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`n."reviewState" <> 'rejected'`];
  if (filter.reviewState) parts.push(Prisma.sql`n."reviewState"::text = ANY(${filter.reviewState}::text[])`);
  if (filter.from) parts.push(Prisma.sql`n."createdAt" >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`n."createdAt" < ${filter.to}`);
  if (filter.promptPolicy) parts.push(Prisma.sql`n."promptPolicy"::text = ANY(${filter.promptPolicy}::text[])`);
  if (excludedAnnotators.length) parts.push(Prisma.sql`(n."annotatorId" IS NULL OR NOT (n."annotatorId" = ANY(${excludedAnnotators}::text[])))`);
  return Prisma.join(parts, " AND ");
}

/** The SQL condition a task `t` with prompt `p` must meet: the filter's task conditions, and at
 *  least one annotation meeting `annotations` (annotationCondition). */
export function taskCondition(projectId: string, filter: ExportFilter, annotations: Prisma.Sql): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`t."projectId" = ${projectId}`];
  if (filter.source) parts.push(Prisma.sql`p.source::text = ANY(${filter.source}::text[])`);
  if (filter.model) parts.push(Prisma.sql`EXISTS (SELECT 1 FROM response r WHERE r."taskId" = t.id AND r.model = ANY(${filter.model}::text[]))`);
  if (filter.excludeEvaluationPrompts) parts.push(notAnEvaluationPrompt);
  parts.push(Prisma.sql`EXISTS (SELECT 1 FROM annotation n WHERE n."taskId" = t.id AND ${annotations})`);
  return Prisma.join(parts, " AND ");
}

/**
 * Every task of the project with at least one annotation passing the filter, with those
 * annotations, in (createdAt, id) order. `minAgreement` is applied by the caller, which can
 * compute agreement; everything else is filtered here.
 */
export async function* readExportTasks(
  db: Db,
  { projectId, filter, excludedAnnotators = [], batchSize = defaultBatchSize }: { projectId: string; filter: ExportFilter; excludedAnnotators?: string[]; batchSize?: number },
): AsyncGenerator<ExportTask[]> {
  const condition = annotationCondition(filter, excludedAnnotators);
  const tasks = taskCondition(projectId, filter, condition);
  // PrismaPromise runs when `then` is called: the .then below starts the read at once.
  const readBatch = (cursor: { createdAt: Date; id: string } | null): Promise<TaskRow[]> => {
    const after: Prisma.Sql = cursor ? Prisma.sql`AND (t."createdAt", t.id) > (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
    return db.$queryRaw<TaskRow[]>`
      SELECT t.id AS "taskId", t."createdAt", t."projectId", p.messages, p.source::text AS source, COALESCE(t.meta, p.meta) AS meta,
        (SELECT json_agg(json_build_object('id', r.id, 'content', r.content, 'model', r.model) ORDER BY r.index)
           FROM response r WHERE r."taskId" = t.id) AS responses,
        (SELECT json_agg(json_build_object(
            'id', n.id, 'annotatorId', n."annotatorId", 'origin', n.origin, 'ranking', n.ranking, 'strengths', n.strengths,
            'promptPolicy', n."promptPolicy", 'harmCategory', n."harmCategory", 'rubric', n.rubric, 'feedback', n.feedback, 'flags', n.flags,
            'shownOrder', n."shownOrder", 'timeSpentMs', n."timeSpentMs", 'guidelinesVersion', n."guidelinesVersion",
            'reviewState', n."reviewState", 'createdAt', n."createdAt",
            -- Human judgements' margins follow from their strengths; only imported ones need the stored values.
            'margins', CASE WHEN n.origin = 'imported' THEN (SELECT json_object_agg(pp."chosenResponseId" || '>' || pp."rejectedResponseId", pp.margin)
                        FROM preference_pair pp WHERE pp."annotationId" = n.id) END)
            ORDER BY n."createdAt", n.id)
           FROM annotation n WHERE n."taskId" = t.id AND ${condition}) AS annotations
      FROM task t JOIN prompt p ON p.id = t."promptId"
      WHERE ${tasks} ${after}
      ORDER BY t."createdAt", t.id
      LIMIT ${batchSize}`.then((rows) => rows);
  };
  // The next batch is read while the consumer works on this one: at most two batches in memory.
  let next: Promise<TaskRow[]> | null = readBatch(null);
  try {
    while (next) {
      const rows: TaskRow[] = await next;
      next = null;
      if (!rows.length) return;
      const last: TaskRow = rows[rows.length - 1]!;
      if (rows.length === batchSize) next = readBatch({ createdAt: last.createdAt, id: last.taskId });
      yield rows.map((r) => ({
        taskId: r.taskId,
        projectId: r.projectId,
        prompt: r.messages,
        responses: r.responses,
        source: r.source,
        meta: r.meta ?? {},
        // json_build_object writes a timestamp without its zone; the column holds UTC.
        annotations: r.annotations.map((a) => ({ ...a, margins: a.margins ?? {}, createdAt: new Date(`${a.createdAt}Z`) })),
      }));
    }
  } finally {
    // A consumer that stops early leaves one read in flight; it finishes unobserved.
    next?.catch(() => undefined);
  }
}

/** Demonstrations (the `sft` format) in the same keyset-paged way; time range filters apply. */
export async function* readExportDemonstrations(
  db: Db,
  { projectId, filter, batchSize = defaultBatchSize }: { projectId: string; filter: ExportFilter; batchSize?: number },
): AsyncGenerator<ExportDemonstration[]> {
  let cursor: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const after: Prisma.Sql = cursor ? Prisma.sql`AND (d."createdAt", d.id) > (${cursor.createdAt}, ${cursor.id})` : Prisma.empty;
    const rows: (Omit<ExportDemonstration, "prompt"> & { messages: Message[] })[] = await db.$queryRaw`
      SELECT d.id, d."taskId", p.messages, d.content, d."authorId", d."createdAt"
      FROM demonstration d JOIN task t ON t.id = d."taskId" JOIN prompt p ON p.id = t."promptId"
      WHERE t."projectId" = ${projectId}
        ${filter.from ? Prisma.sql`AND d."createdAt" >= ${filter.from}` : Prisma.empty}
        ${filter.to ? Prisma.sql`AND d."createdAt" < ${filter.to}` : Prisma.empty}
        ${filter.source ? Prisma.sql`AND p.source::text = ANY(${filter.source}::text[])` : Prisma.empty}
        ${filter.excludeEvaluationPrompts ? Prisma.sql`AND ${notAnEvaluationPrompt}` : Prisma.empty}
        ${after}
      ORDER BY d."createdAt", d.id
      LIMIT ${batchSize}`;
    if (!rows.length) return;
    const last = rows[rows.length - 1]!;
    cursor = { createdAt: last.createdAt, id: last.id };
    yield rows.map(({ messages, ...d }) => ({ ...d, prompt: messages }));
    if (rows.length < batchSize) return;
  }
}
