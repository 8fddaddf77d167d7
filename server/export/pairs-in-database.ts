// Streams the `pairs` format built by PostgreSQL (sql-pairs.ts), a batch of tasks at a time, on two
// connections of its own: while one batch goes to the client the database builds the next, so the
// server's work and this process's run side by side and at most two batches are held.
import type { Db } from "../db";
import { databaseUrlOf } from "../db";
import { Prisma } from "../generated/prisma/client";
import { connectForCopy, copyLines } from "./copy-lines";
import type { ExportFilter } from "./filter";
import { annotationCondition, taskCondition } from "./query";
import { inlineSql } from "./sql-literal";
import { pairsLinesSql, type TaskKey } from "./sql-pairs";

export async function* pairsBuiltInDatabase(
  db: Db,
  { projectId, filter, excludedAnnotators, batchSize = 1000 }: { projectId: string; filter: ExportFilter; excludedAnnotators: string[]; batchSize?: number },
): AsyncGenerator<Buffer> {
  const annotations = annotationCondition(filter, excludedAnnotators);
  const tasks = taskCondition(projectId, filter, annotations);
  /** The last task of the batch after `after`; null when that batch runs to the end. */
  const lastOfBatch = async (after: TaskKey | null): Promise<TaskKey | null> => {
    const [row] = await db.$queryRaw<TaskKey[]>`
      SELECT t."createdAt", t.id FROM task t JOIN prompt p ON p.id = t."promptId"
      WHERE ${tasks} ${after ? Prisma.sql`AND (t."createdAt", t.id) > (${after.createdAt}, ${after.id})` : Prisma.empty}
      ORDER BY t."createdAt", t.id OFFSET ${batchSize - 1} LIMIT 1`;
    return row ?? null;
  };
  const url = databaseUrlOf(db);
  const clients = await Promise.all([connectForCopy(url), connectForCopy(url)]);
  let next: Promise<Buffer> | null = null;
  try {
    let upTo = await lastOfBatch(null);
    next = copyLines(clients[0], inlineSql(pairsLinesSql({ tasks, annotations, after: null, upTo })));
    for (let i = 1; ; i++) {
      const current: Promise<Buffer> = next!;
      const last = upTo === null;
      if (!last) {
        const after: TaskKey = upTo!;
        upTo = await lastOfBatch(after);
        next = copyLines(clients[i % 2]!, inlineSql(pairsLinesSql({ tasks, annotations, after, upTo })));
      } else next = null;
      const lines = await current;
      if (lines.length) yield lines;
      if (last) return;
    }
  } finally {
    // A consumer that stops early leaves one batch in flight: closing its connection ends it.
    next?.catch(() => undefined);
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
