// Streams the `pairs` format built by PostgreSQL (sql-pairs.ts), a batch of tasks at a time, on two
// connections of its own: while one batch goes to the client the database builds the next, so the
// server's work and this process's run side by side and at most two batches are held.
import type { Db } from "../db";
import { databaseUrlOf } from "../db";
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
  // Every batch's last task, read up front in one pass over the keys (a few bytes per batch), so
  // the next batch can start the moment a connection is free. Tasks added meanwhile fall into one
  // of the ranges (the last one is open-ended): none is skipped or sent twice.
  const ends = await db.$queryRaw<TaskKey[]>`
    SELECT "createdAt", id FROM (
      SELECT t."createdAt", t.id, row_number() OVER (ORDER BY t."createdAt", t.id) AS n
      FROM task t JOIN prompt p ON p.id = t."promptId" WHERE ${tasks}) k
    WHERE n % ${batchSize} = 0 ORDER BY n`;
  const ranges = [...ends, null].map((upTo, i) => ({ after: i ? ends[i - 1]! : null, upTo }));
  const url = databaseUrlOf(db);
  const clients = await Promise.all([connectForCopy(url), connectForCopy(url)]);
  const read = (i: number) => copyLines(clients[i % 2]!, inlineSql(pairsLinesSql({ tasks, annotations, ...ranges[i]! })));
  let next: Promise<Buffer[]> | null = null;
  try {
    next = read(0);
    for (let i = 0; i < ranges.length; i++) {
      const current: Promise<Buffer[]> = next!;
      next = i + 1 < ranges.length ? read(i + 1) : null;
      yield* await current;
    }
  } finally {
    // A consumer that stops early leaves one batch in flight: closing its connection ends it.
    next?.catch(() => undefined);
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
