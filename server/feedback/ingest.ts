// Production feedback in: JSON Lines of conversations from a deployed chat product, redacted before
// anything of them is stored, kept idempotent on the deployment's own conversation id.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db } from "../db";
import { ZDataLimitsEnv } from "../env";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import type { Message } from "../import/conversation";
import { buildImportRecord, maxResponses, type ImportRecord } from "../import/import-record";
import { ImportRowError, parseRow } from "../import/import-row-error";
import { parseJsonLines } from "../import/read-jsonl";
import { insertImportRecords } from "../import/service";
import { cappedStream } from "../http/body-limit";
import { ZFeedbackLine, type FeedbackLine } from "./feedback-line.schema";
import { redactTexts, type RedactionCounts, addCounts } from "./redact";
import { chooseSampled, normalisedPromptHash, type SamplingCandidate } from "./sampling";
import { ZFeedbackSampling } from "./sampling.schema";

function parseFeedbackLine(value: unknown): FeedbackLine {
  const row = parseRow(ZFeedbackLine, value);
  const answer = row.messages.at(-1);
  if (answer?.role !== "assistant") throw new ImportRowError("messages: the last message must be the assistant's answer the feedback is about");
  const asked = row.messages.at(-2);
  if (asked?.role !== "user") throw new ImportRowError("messages: the answer must follow a user message");
  if (asked.content.trim() === "") throw new ImportRowError("messages: the user message before the answer is empty");
  if (answer.content.trim() === "") throw new ImportRowError("messages: the answer is empty");
  if (row.event === "edit" && !row.editedAnswer?.trim()) throw new ImportRowError("editedAnswer: an edit event needs the edited answer");
  if (row.event !== "edit" && row.editedAnswer !== null) throw new ImportRowError("editedAnswer: only an edit event has an edited answer");
  return row;
}

export type FeedbackLineResult =
  | { line: number; status: "stored"; id: string; redactions: RedactionCounts; sampled: boolean }
  | { line: number; status: "duplicate"; id: string }
  | { line: number; status: "refused"; id: string | null; reason: string }
  | { line: number; status: "invalid"; error: string };

export type FeedbackSummary = {
  received: number;
  stored: number;
  duplicates: number;
  refused: number;
  invalid: number;
  sampled: number;
  /** False when a bad line stopped the batch: then nothing of it was stored. */
  committed: boolean;
  /** Placeholders put in over the stored conversations, by type. */
  redactions: RedactionCounts;
  lines: FeedbackLineResult[];
};

export function feedbackLimits(env: NodeJS.ProcessEnv = process.env) {
  return { maxBytes: ZDataLimitsEnv.parse(env).FEEDBACK_MAX_MB * 1024 * 1024 };
}

export const tooLargeFeedback = (maxBytes: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `The batch is larger than ${maxBytes / 1024 / 1024} MB (FEEDBACK_MAX_MB); send fewer conversations at a time. Nothing was stored`);

type Redacted = {
  line: number;
  externalId: string;
  model: string;
  prompt: Message[];
  answer: string;
  editedAnswer: string | null;
  comment: string | null;
  rating: "up" | "down" | null;
  event: "regenerate" | "edit" | null;
  counts: RedactionCounts;
  promptHash: string;
};

/** Every text of the line, redacted together (a name found in one is taken out of all). */
function redactLine(line: number, row: FeedbackLine): Redacted {
  const texts = [...row.messages.map((m) => m.content), row.editedAnswer ?? "", row.comment ?? ""];
  const { texts: out, counts } = redactTexts(texts);
  const messages = row.messages.map((m, i) => ({ role: m.role, content: out[i]! }));
  const n = row.messages.length;
  return {
    line,
    externalId: row.id,
    model: row.model,
    prompt: messages.slice(0, -1),
    answer: messages[n - 1]!.content,
    editedAnswer: row.editedAnswer === null ? null : out[n]!,
    comment: row.comment === null ? null : out[n + 1]!,
    rating: row.rating,
    event: row.event,
    counts,
    promptHash: normalisedPromptHash(messages.slice(0, -1)),
  };
}

/**
 * Reads a batch, redacts each conversation that has consent, and stores the new ones (by the
 * deployment's id) in one transaction with their thumbs as kto rows and, where the project's
 * sampling rule picks them, as labelling tasks. A batch with a bad line stores nothing.
 *
 * Sampling runs here, on ingest, rather than in a later sweep: the rule's quota and dedup need an
 * order, and arrival order is the natural one; a conversation is decided once and for good.
 */
export async function ingestFeedback(
  db: Db,
  opts: { projectId: string; body: ReadableStream<Uint8Array>; declaredBytes?: number; apiKeyId: string | null; maxBytes?: number },
): Promise<FeedbackSummary> {
  const maxBytes = opts.maxBytes ?? feedbackLimits().maxBytes;
  if (opts.declaredBytes !== undefined && opts.declaredBytes > maxBytes) throw tooLargeFeedback(maxBytes);
  const project = await db.project.findUnique({ where: { id: opts.projectId }, select: { id: true, k: true, archivedAt: true, feedbackSampling: true } });
  if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${opts.projectId}`);

  const summary: FeedbackSummary = { received: 0, stored: 0, duplicates: 0, refused: 0, invalid: 0, sampled: 0, committed: false, redactions: {}, lines: [] };
  const accepted: Redacted[] = [];
  const seenInBatch = new Set<string>();
  const body = cappedStream(opts.body, maxBytes, () => tooLargeFeedback(maxBytes), opts.declaredBytes) as unknown as AsyncIterable<Uint8Array>;
  for await (const row of parseJsonLines(body, parseFeedbackLine, { quoteInvalidJson: false })) {
    summary.received++;
    if (!row.ok) {
      summary.invalid++;
      summary.lines.push({ line: row.line, status: "invalid", error: row.error });
      continue;
    }
    const { record } = row;
    // Refused before redaction even runs: without consent nothing of it is read further.
    if (record.consent !== true) {
      summary.refused++;
      summary.lines.push({ line: row.line, status: "refused", id: record.id, reason: "no consent: only conversations sent with \"consent\": true are stored" });
      continue;
    }
    if (seenInBatch.has(record.id)) {
      summary.duplicates++;
      summary.lines.push({ line: row.line, status: "duplicate", id: record.id });
      continue;
    }
    seenInBatch.add(record.id);
    accepted.push(redactLine(row.line, record));
  }

  // A batch with a bad line stores nothing, so the sender can fix the line and send the batch again
  // (what was stored before is recognised by its id).
  if (summary.invalid > 0) return summary;

  const rule = project.feedbackSampling === null ? null : ZFeedbackSampling.safeParse(project.feedbackSampling).data ?? null;
  const outcome = await db.$transaction(async (tx) => {
    // One batch of a project at a time, so quota counts and the duplicate check see each other.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`feedback:${project.id}`}))`;
    const existing = new Set(
      (await tx.feedbackConversation.findMany({ where: { projectId: project.id, externalId: { in: accepted.map((a) => a.externalId) } }, select: { externalId: true } })).map((c) => c.externalId),
    );
    const fresh = accepted.filter((a) => !existing.has(a.externalId));
    const modelVersions = new Map(
      (await tx.modelVersion.findMany({ where: { id: { in: fresh.map((f) => f.model).filter((m) => z.uuid().safeParse(m).success) } }, select: { id: true } })).map((m) => [m.id, m.id]),
    );
    const sampled = rule ? await pickSampled(tx, project.id, rule, fresh) : new Set<string>();
    const ids = new Map(fresh.map((f) => [f.externalId, randomUUID()]));
    await tx.feedbackConversation.createMany({
      data: fresh.map((f) => ({
        id: ids.get(f.externalId)!,
        projectId: project.id,
        externalId: f.externalId,
        model: f.model,
        modelVersionId: modelVersions.get(f.model) ?? null,
        messages: f.prompt,
        answer: f.answer,
        rating: f.rating,
        event: f.event,
        editedAnswer: f.editedAnswer,
        comment: f.comment,
        redactions: f.counts,
        promptHash: f.promptHash,
        sampled: sampled.has(f.externalId),
        apiKeyId: opts.apiKeyId,
      })),
    });
    await linkTasks(tx, project, fresh, ids, sampled);
    return { existing, sampled };
  });

  for (const a of accepted) {
    if (outcome.existing.has(a.externalId)) {
      summary.duplicates++;
      summary.lines.push({ line: a.line, status: "duplicate", id: a.externalId });
      continue;
    }
    const isSampled = outcome.sampled.has(a.externalId);
    summary.stored++;
    if (isSampled) summary.sampled++;
    addCounts(summary.redactions, a.counts);
    summary.lines.push({ line: a.line, status: "stored", id: a.externalId, redactions: a.counts, sampled: isSampled });
  }
  summary.lines.sort((x, y) => x.line - y.line);
  summary.committed = true;
  return summary;
}

async function pickSampled(tx: Prisma.TransactionClient, projectId: string, rule: z.output<typeof ZFeedbackSampling>, fresh: Redacted[]): Promise<Set<string>> {
  const models = [...new Set(fresh.map((f) => f.model))];
  const perModel = new Map(
    (await tx.feedbackConversation.groupBy({ by: ["model"], where: { projectId, sampled: true, model: { in: models } }, _count: { _all: true } })).map((g) => [g.model, g._count._all]),
  );
  const prompts = new Set(
    (await tx.feedbackConversation.findMany({ where: { projectId, sampled: true, promptHash: { in: fresh.map((f) => f.promptHash) } }, select: { promptHash: true } })).map((c) => c.promptHash),
  );
  const candidates: SamplingCandidate[] = fresh.map((f) => ({ externalId: f.externalId, model: f.model, rating: f.rating, promptHash: f.promptHash }));
  return chooseSampled(rule, candidates, { perModel, prompts });
}

/**
 * A thumbs becomes a kto row through the import's own path (one unrankable response with an
 * imported judgement carrying the label), so the kto export writes it. A sampled conversation
 * becomes a rankable task with source `production`: the answer given, and the user's edit of it
 * when there is one, as candidates. Every task is linked back to the conversation.
 */
async function linkTasks(
  tx: Prisma.TransactionClient,
  project: { id: string; k: number },
  fresh: Redacted[],
  ids: Map<string, string>,
  sampled: Set<string>,
): Promise<void> {
  const meta = (f: Redacted) => ({ feedback: { model: f.model, event: f.event } });
  const kto = fresh
    .filter((f) => f.rating)
    .map((f) => ({
      f,
      record: buildImportRecord({ prompt: f.prompt, responses: [{ content: f.answer, model: f.model }], source: "production", meta: meta(f), preference: null, feedback: f.rating }),
    }));
  const labelling = fresh
    .filter((f) => sampled.has(f.externalId))
    .map((f) => ({ f, record: labellingRecord(f, project.k) }))
    .filter((x): x is { f: Redacted; record: ImportRecord } => x.record !== null);
  const all = [...kto, ...labelling];
  if (!all.length) return;
  const { taskIds } = await insertImportRecords(
    tx,
    project.id,
    null,
    all.map((x) => x.record),
  );
  await tx.feedbackConversationTask.createMany({
    data: [
      ...kto.map(({ f, record }) => ({ conversationId: ids.get(f.externalId)!, taskId: taskIds.get(record.contentHash)!, purpose: "kto" as const })),
      ...labelling.map(({ f, record }) => ({ conversationId: ids.get(f.externalId)!, taskId: taskIds.get(record.contentHash)!, purpose: "labelling" as const })),
    ],
    skipDuplicates: true,
  });
}

/**
 * The candidates a sampled conversation brings: the answer, and the user's edit when it differs.
 * A project's tasks hold exactly K responses, so a conversation that brings another number gets no
 * labelling task here: it stays marked `sampled` (its prompt is in its kto row when it has a thumbs)
 * until a `generate` job adds K − 1 fresh candidates beside its answer (server/feedback/candidates.ts).
 */
function labellingRecord(f: Redacted, k: number): ImportRecord | null {
  const candidates = [{ content: f.answer, model: f.model }];
  if (f.editedAnswer !== null && f.editedAnswer !== f.answer) candidates.push({ content: f.editedAnswer, model: "user-edit" });
  if (candidates.length !== k || k > maxResponses) return null;
  return buildImportRecord({ prompt: f.prompt, responses: candidates, source: "production", meta: { feedback: { model: f.model, event: f.event, sampled: true } }, preference: null, feedback: null });
}
