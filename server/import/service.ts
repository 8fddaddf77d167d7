import { randomUUID } from "node:crypto";
import { writeAudit } from "../audit/log";
import type { Db } from "../db";
import { ZDataLimitsEnv } from "../env";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { minResponses, promptHash, type ImportRecord } from "./import-record";
import { parseJsonl, type JsonlLayout } from "./read-jsonl";

type Tx = Prisma.TransactionClient;

export type ImportSummary = {
  batchId: string;
  layout: JsonlLayout;
  strict: boolean;
  rowsRead: number;
  imported: number;
  duplicates: number;
  /** Bad rows by line number (the first 1000). */
  errors: { line: number; error: string }[];
  /** Strict imports with a bad row import nothing. */
  committed: boolean;
};

const flushSize = 500;
const maxReportedErrors = 1000;
/** A batch still receiving whose last chunk came longer ago than this is abandoned. */
export const abandonedAfterMs = 10 * 60_000;

/**
 * Streams a JSON Lines file into a project. Good rows become prompts, tasks and responses (and,
 * for preference layouts, an imported judgement with its pairs; for the kto layout, a task with its
 * one response, never leased, and an imported judgement with the thumbs label); bad rows are
 * reported by line.
 * Content already in the project is recognised by hash and not imported twice. In strict mode a
 * single bad row imports nothing.
 *
 * The upload holds no transaction while it streams: parsed rows are staged 500 at a time, each a
 * statement of its own, and only once the whole body is in are they moved into the project in one
 * transaction, at the database's pace rather than the client's. A slow or stalled upload therefore
 * holds no connection and no lock; a failed one leaves nothing behind.
 */
export async function importJsonl(
  db: Db,
  opts: {
    projectId: string;
    layout: JsonlLayout;
    chunks: AsyncIterable<Uint8Array | string>;
    strict: boolean;
    filename: string | null;
    createdById: string | null;
    /** The API key it came through, when it did. */
    apiKeyId?: string | null;
    /** The upload's size limit; past it the import is refused (413) and nothing is written. */
    maxBytes?: number;
    /** Imports one key (or person) may run at once; another is refused (429). */
    maxConcurrent?: number;
  },
): Promise<ImportSummary> {
  const limits = importLimits();
  const maxBytes = opts.maxBytes ?? limits.maxBytes;
  const maxConcurrent = opts.maxConcurrent ?? limits.maxConcurrent;
  const project = await db.project.findUnique({ where: { id: opts.projectId }, select: { id: true, k: true, archivedAt: true } });
  if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${opts.projectId}`);

  const summary: ImportSummary = {
    batchId: randomUUID(),
    layout: opts.layout,
    strict: opts.strict,
    rowsRead: 0,
    imported: 0,
    duplicates: 0,
    errors: [],
    committed: false,
  };
  const addError = (line: number, error: string) => {
    if (summary.errors.length < maxReportedErrors) summary.errors.push({ line, error });
  };
  let errorCount = 0;
  const uploader = { apiKeyId: opts.apiKeyId ?? null, createdById: opts.createdById };

  await openBatch(db, uploader, maxConcurrent, {
    id: summary.batchId,
    projectId: project.id,
    layout: opts.layout,
    filename: opts.filename,
    strict: opts.strict,
    createdById: opts.createdById,
    apiKeyId: opts.apiKeyId ?? null,
  });
  try {
    let pending: { line: number; record: ImportRecord }[] = [];
    let stagedAt = Date.now();
    for await (const row of parseJsonl(capped(opts.chunks, maxBytes), opts.layout)) {
      summary.rowsRead++;
      if (!row.ok) {
        errorCount++;
        addError(row.line, row.error);
        continue;
      }
      // A thumbs row's one response is never ranked, so the project's K does not apply to it.
      if (!row.record.feedback && row.record.responses.length !== project.k) {
        errorCount++;
        addError(row.line, `this project expects ${project.k} responses per prompt; the row has ${row.record.responses.length}`);
        continue;
      }
      // After the first bad row a strict import only keeps reading to report every bad row.
      if (opts.strict && errorCount > 0) continue;
      pending.push(row);
      // A slow upload is staged at least every half minute too, which keeps its heartbeat going.
      if (pending.length >= flushSize || Date.now() - stagedAt > 30_000) {
        await stage(db, summary.batchId, pending);
        pending = [];
        stagedAt = Date.now();
      }
    }
    if (opts.strict && errorCount > 0) {
      // Nothing is imported; the batch stays, refused, so the admin sees why.
      await db.$transaction(async (tx) => {
        await tx.importStagedRow.deleteMany({ where: { batchId: summary.batchId } });
        await tx.importBatch.update({ where: { id: summary.batchId }, data: { status: "refused", rowsRead: summary.rowsRead, errors: summary.errors } });
        await writeAudit(tx, { actorId: opts.createdById, action: "import.refuse", target: `import:${summary.batchId}`, projectId: project.id, after: { layout: opts.layout, filename: opts.filename, rowsRead: summary.rowsRead, errors: errorCount } });
      });
      return summary;
    }
    await stage(db, summary.batchId, pending);
    await db.$transaction(
      async (tx) => {
        // The batch row's lock: an abandoned-batch sweep cannot remove it from under this move.
        const [open] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM import_batch WHERE id = ${summary.batchId} AND status = 'receiving' FOR UPDATE`;
        if (!open) throw abandoned();
        for (let after = -1; ; ) {
          const staged = await tx.importStagedRow.findMany({ where: { batchId: summary.batchId, line: { gt: after } }, orderBy: { line: "asc" }, take: flushSize, select: { line: true, record: true } });
          if (staged.length === 0) break;
          await flush(tx, project.id, summary, staged.map((s) => ({ line: s.line, record: s.record as unknown as ImportRecord })));
          after = staged[staged.length - 1]!.line;
        }
        await tx.importStagedRow.deleteMany({ where: { batchId: summary.batchId } });
        await tx.importBatch.update({
          where: { id: summary.batchId },
          data: { status: "committed", rowsRead: summary.rowsRead, imported: summary.imported, duplicates: summary.duplicates, errors: summary.errors },
        });
        await writeAudit(tx, {
          actorId: opts.createdById,
          action: "import.commit",
          target: `import:${summary.batchId}`,
          projectId: project.id,
          after: { layout: opts.layout, filename: opts.filename, rowsRead: summary.rowsRead, imported: summary.imported, duplicates: summary.duplicates, errors: errorCount, apiKeyId: opts.apiKeyId ?? null },
        });
      },
      { timeout: 15 * 60_000, maxWait: 10_000 },
    );
    summary.committed = true;
    return summary;
  } catch (err) {
    // A refused, cut-off or failed upload leaves nothing: the batch and its staged rows go.
    await db.importBatch.deleteMany({ where: { id: summary.batchId, status: "receiving" } }).catch(() => undefined);
    throw err;
  }
}

const abandoned = () =>
  new AppError("CONFLICT", `The upload sent nothing for ${abandonedAfterMs / 60_000} minutes and was abandoned; nothing was imported. Send the file again`);

type Uploader = { apiKeyId: string | null; createdById: string | null };

/**
 * Records the batch as receiving, unless this key (or person) already has `slots` imports receiving:
 * then 429. The count and the insert run under a transaction-scoped advisory lock for the uploader,
 * so two web processes cannot both take the last slot; batches abandoned mid-upload (their process
 * died) are swept first.
 */
async function openBatch(db: Db, uploader: Uploader, slots: number, batch: Prisma.ImportBatchUncheckedCreateInput): Promise<void> {
  const who = uploader.apiKeyId ? `key:${uploader.apiKeyId}` : `user:${uploader.createdById ?? "platform"}`;
  const mine: Prisma.ImportBatchWhereInput = uploader.apiKeyId ? { apiKeyId: uploader.apiKeyId } : { apiKeyId: null, createdById: uploader.createdById };
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`import:${who}`}))`;
    await tx.importBatch.deleteMany({ where: { status: "receiving", heartbeatAt: { lt: new Date(Date.now() - abandonedAfterMs) } } });
    const running = await tx.importBatch.count({ where: { ...mine, status: "receiving" } });
    if (running >= slots) {
      throw new AppError("TOO_MANY_REQUESTS", `${slots} import${slots === 1 ? " is" : "s are"} already running for this ${uploader.apiKeyId ? "API key" : "person"} (IMPORT_MAX_CONCURRENT); wait for one to finish`);
    }
    await tx.importBatch.create({ data: { ...batch, status: "receiving" } });
  });
}

/** Stages parsed rows in one statement, and moves the batch's heartbeat on. */
async function stage(db: Db, batchId: string, rows: { line: number; record: ImportRecord }[]): Promise<void> {
  if (rows.length === 0) return;
  const [beat] = await db.$queryRaw<{ n: number }[]>`
    WITH beat AS (UPDATE import_batch SET "heartbeatAt" = now() WHERE id = ${batchId} AND status = 'receiving' RETURNING id),
    staged AS (
      INSERT INTO import_staged_row ("batchId", line, record)
      SELECT beat.id, r.line, r.record FROM beat, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(line int, record jsonb)
      RETURNING 1)
    SELECT (SELECT count(*)::int FROM beat) AS n`;
  if (beat?.n !== 1) throw abandoned();
}

async function flush(tx: Tx, projectId: string, summary: ImportSummary, rows: { line: number; record: ImportRecord }[]) {
  const { imported, duplicates } = await insertImportRecords(tx, projectId, summary.batchId, rows.map((r) => r.record));
  summary.imported += imported;
  summary.duplicates += duplicates;
}

/**
 * Writes parsed records into a project as prompts, tasks, responses and their imported judgements;
 * content already there (by hash) is not written twice. Returns the counts and, by content hash,
 * the task that holds each record (new or earlier), so callers can keep a link to it.
 */
export async function insertImportRecords(
  tx: Tx,
  projectId: string,
  batchId: string | null,
  rows: ImportRecord[],
): Promise<{ imported: number; duplicates: number; taskIds: Map<string, string> }> {
  const result = { imported: 0, duplicates: 0, taskIds: new Map<string, string>() };
  if (!rows.length) return result;
  // Duplicates inside one file count like duplicates of earlier imports.
  const unique = new Map<string, ImportRecord>();
  for (const record of rows) {
    if (unique.has(record.contentHash)) result.duplicates++;
    else unique.set(record.contentHash, record);
  }
  const records = [...unique.values()];

  const prompts = records.map((r) => ({ record: r, hash: promptHash(r.prompt) }));
  await tx.prompt.createMany({
    data: prompts.map(({ record, hash }) => ({
      id: randomUUID(),
      projectId,
      messages: record.prompt,
      source: record.source,
      meta: record.meta as Prisma.InputJsonValue,
      contentHash: hash,
    })),
    skipDuplicates: true,
  });
  const promptIds = new Map(
    (
      await tx.prompt.findMany({
        where: { projectId, contentHash: { in: prompts.map((p) => p.hash) } },
        select: { id: true, contentHash: true },
      })
    ).map((p) => [p.contentHash, p.id]),
  );

  const taskIds = new Map(records.map((r) => [r.contentHash, randomUUID()]));
  await tx.task.createMany({
    data: prompts.map(({ record, hash }) => ({
      id: taskIds.get(record.contentHash)!,
      projectId,
      promptId: promptIds.get(hash)!,
      contentHash: record.contentHash,
      importBatchId: batchId,
      // The row's own meta: the prompt's is the first row's, shared by every row with that prompt.
      meta: record.meta as Prisma.InputJsonValue,
      rankable: record.responses.length >= minResponses,
    })),
    skipDuplicates: true,
  });
  const created = new Set(
    (
      await tx.task.findMany({
        where: { id: { in: [...taskIds.values()] } },
        select: { id: true },
      })
    ).map((t) => t.id),
  );
  const fresh = records.filter((r) => created.has(taskIds.get(r.contentHash)!));
  result.duplicates += records.length - fresh.length;
  result.imported += fresh.length;
  const held = await tx.task.findMany({ where: { projectId, contentHash: { in: records.map((r) => r.contentHash) } }, select: { id: true, contentHash: true } });
  for (const t of held) result.taskIds.set(t.contentHash, t.id);

  const responseIds = new Map<string, string[]>();
  const responses = fresh.flatMap((r) => {
    const ids = r.responses.map(() => randomUUID());
    responseIds.set(r.contentHash, ids);
    return r.responses.map((resp, index) => ({
      id: ids[index]!,
      taskId: taskIds.get(r.contentHash)!,
      index,
      content: resp.content,
      model: resp.model,
    }));
  });
  if (responses.length) await tx.response.createMany({ data: responses });

  // A thumbs row's label is kept as an imported judgement of its one response; it has no pairs.
  const thumbs = fresh.filter((r) => r.feedback);
  if (thumbs.length) {
    await tx.annotation.createMany({
      data: thumbs.map((r) => {
        const ids = responseIds.get(r.contentHash)!;
        return { taskId: taskIds.get(r.contentHash)!, origin: "imported" as const, ranking: [ids], strengths: [], shownOrder: ids, feedback: r.feedback };
      }),
    });
  }

  // Preference files carry a judgement: it is kept as an imported annotation with its pairs.
  const judged = fresh.filter((r) => r.preference);
  if (!judged.length) return result;
  const annotations = judged.map((r) => {
    const ids = responseIds.get(r.contentHash)!;
    const order = r.preference!.order.map((i) => ids[i]!);
    return { id: randomUUID(), record: r, order, margin: r.preference!.margin };
  });
  await tx.annotation.createMany({
    data: annotations.map((a) => ({
      id: a.id,
      taskId: taskIds.get(a.record.contentHash)!,
      origin: "imported" as const,
      ranking: a.order.map((id) => [id]),
      strengths: [],
      shownOrder: a.order,
    })),
  });
  await tx.preferencePair.createMany({
    data: annotations.flatMap((a) =>
      a.order.slice(0, -1).flatMap((chosen, i) =>
        a.order.slice(i + 1).map((rejected, j) => ({
          annotationId: a.id,
          taskId: taskIds.get(a.record.contentHash)!,
          chosenResponseId: chosen,
          rejectedResponseId: rejected,
          // A file without margins states a preference of unknown strength: recorded as full.
          margin: a.margin ?? 1,
          strength: "imported",
          chosenRank: i,
          rejectedRank: i + 1 + j,
        })),
      ),
    ),
  });
  return result;
}

export function listImports(db: Db, projectId: string) {
  return db.importBatch.findMany({
    where: { projectId, status: { not: "receiving" } },
    orderBy: { createdAt: "desc" },
    take: 50,
    select: { id: true, layout: true, filename: true, strict: true, status: true, rowsRead: true, imported: true, duplicates: true, errors: true, createdAt: true },
  });
}

/** IMPORT_MAX_MB and IMPORT_MAX_CONCURRENT (the seed and scripts import too, without the web app's whole env). */
export function importLimits(env: NodeJS.ProcessEnv = process.env) {
  const limits = ZDataLimitsEnv.parse(env);
  return { maxBytes: limits.IMPORT_MAX_MB * 1024 * 1024, maxConcurrent: limits.IMPORT_MAX_CONCURRENT };
}

export const tooLargeUpload = (maxBytes: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `The upload is larger than ${Math.round(maxBytes / 1024 / 1024)} MB (IMPORT_MAX_MB); split it into several files. Nothing was imported`);

/** The upload's chunks, refused once they pass `maxBytes` (the transaction then rolls back). */
async function* capped(chunks: AsyncIterable<Uint8Array | string>, maxBytes: number): AsyncGenerator<Uint8Array | string> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (bytes > maxBytes) throw tooLargeUpload(maxBytes);
    yield chunk;
  }
}
