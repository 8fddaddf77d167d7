// An export as a stream of JSON Lines: tasks are read batch by batch, merged or not, filtered by
// agreement, serialised, and handed on one batch of lines at a time.
import type { Db } from "../db";
import { AppError } from "../errors";
import { rankOf, type Ranking } from "../annotation/ranking";
import { pairwisePreferenceAgreement } from "../quality/agreement";
import { goldAccuracyByAnnotator } from "../quality/gold-accuracy";
import { toJudgements } from "./aggregate";
import type { ExportRequest } from "./filter";
import { serialise, serialiseDemonstration } from "./formats";
import { pairsBuiltInDatabase } from "./pairs-in-database";
import { readExportDemonstrations, readExportTasks } from "./query";
import type { ExportTask } from "./types";

function taskAgreement(task: ExportTask): number | null {
  const ranks = task.annotations.map((a) => rankOf({ groups: a.ranking, strengths: [] } as unknown as Ranking));
  return ranks.length < 2 ? null : pairwisePreferenceAgreement(ranks).agreement;
}

/** Whether the request's records can be built in the database (sql-pairs.ts): `pairs` one record
 *  per annotation, without the agreement filter (agreement is computed here). */
export const buildsInDatabase = (request: ExportRequest) => request.format === "pairs" && request.aggregate === "raw" && request.minAgreement === undefined;

/**
 * Yields chunks of JSON Lines as UTF-8 (each chunk one batch of tasks, every line ending in "\n").
 * Records are written in a fixed order, so the same data and request always give the same bytes.
 * A task with fewer than two annotations has no agreement and is left out when minAgreement is set.
 * `inDatabase: false` makes every format go through the serialisers here (the reference the
 * in-database path is tested against).
 */
export async function* exportChunks(
  db: Db,
  { projectId, request, batchSize, inDatabase = true }: { projectId: string; request: ExportRequest; batchSize?: number; inDatabase?: boolean },
): AsyncGenerator<Buffer> {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);

  if (request.format === "sft") {
    for await (const batch of readExportDemonstrations(db, { projectId, filter: request, batchSize })) {
      yield Buffer.from(batch.map((d) => `${JSON.stringify(serialiseDemonstration(d))}\n`).join(""));
    }
    return;
  }

  const needsGold = request.excludeFlagged || request.aggregate === "gold-weighted";
  const gold = needsGold ? await goldAccuracyByAnnotator(db, projectId) : null;
  const excludedAnnotators = request.excludeFlagged ? gold!.flagged : [];
  if (inDatabase && buildsInDatabase(request)) {
    yield* pairsBuiltInDatabase(db, { projectId, filter: request, excludedAnnotators, batchSize });
    return;
  }
  for await (const batch of readExportTasks(db, { projectId, filter: request, excludedAnnotators, batchSize })) {
    let out = "";
    for (const task of batch) {
      if (request.minAgreement !== undefined) {
        const agreement = taskAgreement(task);
        if (agreement === null || agreement < request.minAgreement) continue;
      }
      for (const judgement of toJudgements(task, request.aggregate, { goldAccuracy: gold?.accuracy })) {
        for (const record of serialise(request.format, judgement)) out += `${JSON.stringify(record)}\n`;
      }
    }
    if (out) yield Buffer.from(out);
  }
}

/** A pull-based byte stream: the next batch is read from the database only when the client has
 *  taken the previous one, so a slow client holds one batch, not the whole export. */
export function toReadableStream(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
