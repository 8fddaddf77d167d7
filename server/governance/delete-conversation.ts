// Deleting conversations with their lineage: a prompt with its tasks, responses, labels, pairs,
// demonstrations and reports goes from the database in one transaction; the snapshots whose files
// held it are marked (the files stay: snapshots are immutable) and every model trained on them, or
// derived from such a model, is flagged for retraining. The deletion is recorded by ids only.
import { writeAudit } from "../audit/log";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { holdSnapshotWriters } from "../export/snapshot-writing-lock";
import { snapshotFilePath } from "../export/snapshots";
import { scrubGenerateRuns } from "../feedback/scrub-runs";
import { needlesOf, promptsInFile, type ConversationText } from "./snapshot-membership";

export const maxPromptsPerDeletion = 1000;

export type DeletePromptsInput = {
  projectId: string;
  promptIds: string[];
  reason: string;
  /** Who asked: a console user, or an API key (the feedback API). */
  actorId?: string | null;
  apiKeyId?: string | null;
  artifactDir: string;
  /** Only work out what would be affected; nothing changes. */
  dryRun?: boolean;
};

export type AffectedSnapshot = { id: string; format: string; aggregate: string; rowCount: number; createdAt: Date; promptIds: string[] };
export type AffectedModel = { id: string; name: string; kind: string; snapshotId: string | null; via: string };

export type DeletionResult = {
  deletionId: string | null;
  promptIds: string[];
  taskIds: string[];
  responseIds: string[];
  annotationCount: number;
  demonstrationCount: number;
  reportCount: number;
  /** Production feedback conversations (their redacted rows) that held this text, deleted with it. */
  feedbackConversationIds: string[];
  snapshots: AffectedSnapshot[];
  models: AffectedModel[];
};

const conversationSelect = {
  id: true,
  messages: true,
  _count: { select: { reports: true } },
  tasks: {
    select: {
      id: true,
      responses: { select: { id: true, content: true } },
      demonstrations: { select: { content: true } },
      feedbackConversations: { select: { conversationId: true } },
      _count: { select: { annotations: true, demonstrations: true } },
    },
  },
} satisfies Prisma.PromptSelect;

type Conversation = Prisma.PromptGetPayload<{ select: typeof conversationSelect }>;

function textOf(c: Conversation): ConversationText {
  const messages = Array.isArray(c.messages) ? (c.messages as { content: string }[]) : [];
  const answers = c.tasks.flatMap((t) => [...t.responses.map((r) => r.content), ...t.demonstrations.map((d) => d.content)]);
  return { promptId: c.id, messages, answers };
}

/** The project's snapshots (other than `skip`) whose files hold one of the conversations. */
async function snapshotsHolding(db: Db | Prisma.TransactionClient, projectId: string, texts: ConversationText[], artifactDir: string, skip: Set<string>) {
  const needles = needlesOf(texts);
  const rows = await db.snapshot.findMany({
    where: { projectId, id: { notIn: [...skip] } },
    orderBy: { createdAt: "asc" },
    select: { id: true, format: true, aggregate: true, rowCount: true, createdAt: true, path: true },
  });
  const affected: AffectedSnapshot[] = [];
  for (const { path: file, ...row } of rows) {
    skip.add(row.id);
    const found = await promptsInFile(snapshotFilePath(artifactDir, file), needles).catch((err: NodeJS.ErrnoException) => {
      // A file that is gone cannot be checked: count it as affected rather than miss it.
      if (err.code === "ENOENT") return new Set(texts.map((t) => t.promptId));
      throw err;
    });
    if (found.size) affected.push({ ...row, promptIds: [...found].sort() });
  }
  return affected;
}

/** Models trained on the snapshots, and every model initialised from, or optimised against, one of those. */
async function modelsDerivedFrom(db: Db | Prisma.TransactionClient, snapshotIds: string[]): Promise<AffectedModel[]> {
  const select = { id: true, name: true, kind: true, snapshotId: true } as const;
  const found = new Map<string, AffectedModel>();
  let frontier = (await db.modelVersion.findMany({ where: { snapshotId: { in: snapshotIds } }, select, orderBy: { createdAt: "asc" } })).map((m) => ({
    ...m,
    via: `trained on snapshot ${m.snapshotId}`,
  }));
  while (frontier.length) {
    for (const m of frontier) found.set(m.id, m);
    const ids = frontier.map((m) => m.id);
    const next = await db.modelVersion.findMany({
      where: { id: { notIn: [...found.keys()] }, OR: [{ parentId: { in: ids } }, { rewardModelId: { in: ids } }, { safetyModelId: { in: ids } }] },
      select: { ...select, parentId: true, rewardModelId: true, safetyModelId: true },
      orderBy: { createdAt: "asc" },
    });
    frontier = next.map(({ parentId, rewardModelId, safetyModelId, ...m }) => {
      const [how, from] = parentId && ids.includes(parentId) ? ["initialised from", parentId] : rewardModelId && ids.includes(rewardModelId) ? ["optimised against reward model", rewardModelId] : ["optimised against safety model", safetyModelId];
      return { ...m, via: `${how} ${from}` };
    });
  }
  return [...found.values()];
}

/**
 * Deletes the prompts (conversations) and everything made from them, and returns what it removed
 * and every snapshot and model version their data reached. With `dryRun` nothing changes. Prompts
 * must all belong to the project; an unknown id is an error (nothing is deleted).
 */
export async function deletePromptsWithLineage(db: Db, input: DeletePromptsInput): Promise<DeletionResult> {
  const { projectId, artifactDir, dryRun = false } = input;
  const promptIds = [...new Set(input.promptIds)];
  const reason = input.reason.trim();
  if (promptIds.length === 0) throw new AppError("BAD_REQUEST", "Choose at least one conversation to delete");
  if (promptIds.length > maxPromptsPerDeletion) throw new AppError("BAD_REQUEST", `At most ${maxPromptsPerDeletion} conversations per deletion`);
  if (!dryRun && !reason) throw new AppError("BAD_REQUEST", "Give a reason for the deletion: it is kept in the record");

  const read = (tx: Db | Prisma.TransactionClient) => tx.prompt.findMany({ where: { id: { in: promptIds }, projectId }, select: conversationSelect, orderBy: { createdAt: "asc" } });
  const conversations = await read(db);
  if (conversations.length !== promptIds.length) {
    const known = new Set(conversations.map((c) => c.id));
    throw new AppError("NOT_FOUND", `No conversation ${promptIds.filter((id) => !known.has(id)).join(", ")} in project ${projectId}`);
  }
  const texts = conversations.map(textOf);
  const scanned = new Set<string>();
  // Files are read before the transaction so it stays short; snapshots written meanwhile are read
  // inside it, once the snapshots being written have their rows (snapshot-writing-lock.ts).
  const snapshots = await snapshotsHolding(db, projectId, texts, artifactDir, scanned);
  const summary = (rows: Conversation[], deletionId: string | null, snaps: AffectedSnapshot[], models: AffectedModel[]): DeletionResult => ({
    deletionId,
    promptIds: rows.map((c) => c.id),
    taskIds: rows.flatMap((c) => c.tasks.map((t) => t.id)),
    responseIds: rows.flatMap((c) => c.tasks.flatMap((t) => t.responses.map((r) => r.id))),
    annotationCount: rows.reduce((n, c) => n + c.tasks.reduce((m, t) => m + t._count.annotations, 0), 0),
    demonstrationCount: rows.reduce((n, c) => n + c.tasks.reduce((m, t) => m + t._count.demonstrations, 0), 0),
    reportCount: rows.reduce((n, c) => n + c._count.reports, 0),
    feedbackConversationIds: [...new Set(rows.flatMap((c) => c.tasks.flatMap((t) => t.feedbackConversations.map((f) => f.conversationId))))],
    snapshots: snaps,
    models,
  });
  if (dryRun) return summary(conversations, null, snapshots, await modelsDerivedFrom(db, snapshots.map((s) => s.id)));

  const deleted = await db.$transaction(
    async (tx) => {
      // Snapshots in flight get their rows before the look below; new ones wait for the commit.
      await holdSnapshotWriters(tx, projectId);
      // Locks the prompts: a concurrent deletion of the same conversation waits, then finds it gone.
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM prompt WHERE id = ANY(${promptIds}::text[]) AND "projectId" = ${projectId} FOR UPDATE`;
      if (locked.length !== promptIds.length) throw new AppError("CONFLICT", "Some of these conversations were deleted meanwhile; nothing was deleted");
      const rows = await read(tx);
      const snaps = [...snapshots, ...(await snapshotsHolding(tx, projectId, rows.map(textOf), artifactDir, scanned))];
      const models = await modelsDerivedFrom(tx, snaps.map((s) => s.id));
      const result = summary(rows, null, snaps, models);
      // Tasks, responses, assignments, annotations, pairs, demonstrations and reports go with the prompt (ON DELETE CASCADE).
      await tx.prompt.deleteMany({ where: { id: { in: promptIds }, projectId } });
      // A production conversation the text came from keeps the same (redacted) text in its own row.
      await tx.feedbackConversation.deleteMany({ where: { id: { in: result.feedbackConversationIds }, projectId } });
      const deletion = await tx.dataDeletion.create({
        data: {
          projectId,
          promptIds: result.promptIds,
          taskIds: result.taskIds,
          responseIds: result.responseIds,
          annotationCount: result.annotationCount,
          demonstrationCount: result.demonstrationCount,
          reason,
          actorId: input.actorId ?? null,
          apiKeyId: input.apiKeyId ?? null,
          snapshotIds: snaps.map((s) => s.id),
          modelIds: models.map((m) => m.id),
        },
        select: { id: true, at: true },
      });
      for (const s of snaps) {
        await tx.snapshot.update({ where: { id: s.id }, data: { deletionIds: { push: deletion.id } } });
      }
      await tx.snapshot.updateMany({ where: { id: { in: snaps.map((s) => s.id) }, containsDeletedDataAt: null }, data: { containsDeletedDataAt: deletion.at } });
      for (const m of models) {
        await tx.modelVersion.update({
          where: { id: m.id },
          data: { retrainFlaggedAt: deletion.at, retrainReason: `Data it learned from was deleted (deletion ${deletion.id}): ${m.via}` },
        });
      }
      await writeAudit(tx, {
        actorId: input.actorId ?? null,
        action: "data.delete",
        target: `deletion:${deletion.id}`,
        projectId,
        after: {
          reason,
          apiKeyId: input.apiKeyId ?? null,
          promptIds: result.promptIds,
          taskIds: result.taskIds,
          annotationCount: result.annotationCount,
          demonstrationCount: result.demonstrationCount,
          feedbackConversationIds: result.feedbackConversationIds,
          snapshotIds: snaps.map((s) => s.id),
          modelIds: models.map((m) => m.id),
        },
      });
      return { ...result, deletionId: deletion.id };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  // Files are not in the transaction: once the rows are gone, the run folders that staged them follow.
  await scrubGenerateRuns(db, artifactDir, deleted.feedbackConversationIds);
  return deleted;
}

export async function listDeletions(db: Db, projectId: string) {
  return db.dataDeletion.findMany({
    where: { projectId },
    orderBy: { at: "desc" },
    take: 100,
    select: { id: true, at: true, reason: true, promptIds: true, snapshotIds: true, modelIds: true, annotationCount: true, actor: { select: { name: true } }, apiKey: { select: { name: true } } },
  });
}

/**
 * A project's conversations whose id is `query`, that came from the production conversation with
 * that deployment id, or whose text contains it (case-insensitive), newest first.
 */
export async function findConversations(db: Db, { projectId, query, limit = 20 }: { projectId: string; query: string; limit?: number }) {
  const q = query.trim();
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db.$queryRaw<{ id: string; messages: { role: string; content: string }[]; source: string; createdAt: Date; tasks: number }[]>`
    SELECT p.id, p.messages, p.source::text AS source, p."createdAt", (SELECT count(*)::int FROM task t WHERE t."promptId" = p.id) AS tasks
    FROM prompt p
    WHERE p."projectId" = ${projectId}
      AND (p.id = ${q}
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(p.messages) m WHERE m ->> 'content' ILIKE ${pattern})
        OR EXISTS (SELECT 1 FROM task t JOIN feedback_conversation_task ft ON ft."taskId" = t.id JOIN feedback_conversation f ON f.id = ft."conversationId"
                   WHERE t."promptId" = p.id AND f."projectId" = ${projectId} AND f."externalId" = ${q}))
    ORDER BY p."createdAt" DESC, p.id
    LIMIT ${limit}`;
  return rows;
}
