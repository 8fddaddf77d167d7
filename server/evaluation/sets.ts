// Evaluation sets: prompts held out from training that a project's policies are measured on.
// Admins create and edit them; every change bumps the set's version and is audited.
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import type { Message } from "../import/conversation";
import { promptHash } from "../import/import-record";
import type { TCreateEvaluationSetInput, TEvaluationPromptInput } from "./evaluation-set.schema";

export const evaluationPromptSelect = { id: true, messages: true, policy: true, harmCategory: true, createdAt: true } satisfies Prisma.EvaluationPromptSelect;

function rows(setId: string, prompts: TEvaluationPromptInput[]): Prisma.EvaluationPromptCreateManyInput[] {
  const seen = new Set<string>();
  const out: Prisma.EvaluationPromptCreateManyInput[] = [];
  for (const p of prompts) {
    const contentHash = promptHash(p.messages);
    if (seen.has(contentHash)) continue;
    seen.add(contentHash);
    out.push({ setId, messages: p.messages, policy: p.policy, harmCategory: p.harmCategory ?? null, contentHash });
  }
  return out;
}

export async function listEvaluationSets(db: Db, projectId: string) {
  const sets = await db.evaluationSet.findMany({
    where: { projectId },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, description: true, kind: true, version: true, createdAt: true, updatedAt: true },
  });
  const counts = await db.evaluationPrompt.groupBy({ by: ["setId", "policy"], where: { setId: { in: sets.map((s) => s.id) } }, _count: { _all: true } });
  return sets.map((s) => {
    const byPolicy = { allowed: 0, sensitive: 0, disallowed: 0 };
    for (const c of counts) if (c.setId === s.id) byPolicy[c.policy] = c._count._all;
    return { ...s, prompts: byPolicy.allowed + byPolicy.sensitive + byPolicy.disallowed, byPolicy };
  });
}

export async function getEvaluationSetOrThrow(db: Db, setId: string) {
  const set = await db.evaluationSet.findUnique({
    where: { id: setId },
    select: {
      id: true,
      projectId: true,
      name: true,
      description: true,
      kind: true,
      version: true,
      createdAt: true,
      updatedAt: true,
      prompts: { orderBy: { createdAt: "asc" }, select: { ...evaluationPromptSelect, contentHash: true } },
    },
  });
  if (!set) throw new AppError("NOT_FOUND", `No evaluation set ${setId}`);
  // Prompts that are also labelling prompts of the project may have been trained on: say which.
  const labelled = await db.prompt.findMany({ where: { projectId: set.projectId, contentHash: { in: set.prompts.map((p) => p.contentHash) } }, select: { contentHash: true } });
  const overlap = new Set(labelled.map((p) => p.contentHash));
  return { ...set, prompts: set.prompts.map(({ contentHash, ...p }) => ({ ...p, messages: p.messages as Message[], alsoLabelled: overlap.has(contentHash) })) };
}

export async function createEvaluationSet(db: Db, input: TCreateEvaluationSetInput, actorId: string | null) {
  const project = await db.project.findUnique({ where: { id: input.projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${input.projectId}`);
  const taken = await db.evaluationSet.findUnique({ where: { projectId_name: { projectId: input.projectId, name: input.name } }, select: { id: true } });
  if (taken) throw new AppError("CONFLICT", `The project already has an evaluation set named "${input.name}"`);
  return db.$transaction(async (tx) => {
    const set = await tx.evaluationSet.create({ data: { projectId: input.projectId, name: input.name, description: input.description }, select: { id: true, name: true, version: true } });
    const data = rows(set.id, input.prompts);
    if (data.length) await tx.evaluationPrompt.createMany({ data });
    await tx.auditLog.create({ data: { actorId, action: "evaluation_set.create", target: `evaluation_set:${set.id}`, after: { projectId: input.projectId, name: set.name, prompts: data.length } } });
    return { ...set, prompts: data.length };
  });
}

async function bump(tx: Prisma.TransactionClient, setId: string, actorId: string | null, action: string, after: Prisma.InputJsonValue) {
  const set = await tx.evaluationSet.update({ where: { id: setId }, data: { version: { increment: 1 } }, select: { version: true } });
  await tx.auditLog.create({ data: { actorId, action, target: `evaluation_set:${setId}`, after } });
  return set.version;
}

/** Adds prompts; ones already in the set are skipped. */
export async function addEvaluationPrompts(db: Db, setId: string, prompts: TEvaluationPromptInput[], actorId: string | null) {
  await assertEditable(db, setId);
  return db.$transaction(async (tx) => {
    const { count } = await tx.evaluationPrompt.createMany({ data: rows(setId, prompts), skipDuplicates: true });
    const version = count ? await bump(tx, setId, actorId, "evaluation_set.add_prompts", { added: count }) : (await getSetRowOrThrow(tx, setId)).version;
    return { added: count, skipped: prompts.length - count, version };
  });
}

export async function updateEvaluationPrompt(db: Db, input: { promptId: string; policy?: TEvaluationPromptInput["policy"]; harmCategory?: string | null }, actorId: string | null) {
  const before = await db.evaluationPrompt.findUnique({ where: { id: input.promptId }, select: { setId: true, policy: true, harmCategory: true } });
  if (!before) throw new AppError("NOT_FOUND", `No evaluation prompt ${input.promptId}`);
  await assertEditable(db, before.setId);
  return db.$transaction(async (tx) => {
    const after = await tx.evaluationPrompt.update({
      where: { id: input.promptId },
      data: { ...(input.policy ? { policy: input.policy } : {}), ...(input.harmCategory !== undefined ? { harmCategory: input.harmCategory } : {}) },
      select: evaluationPromptSelect,
    });
    const version = await bump(tx, before.setId, actorId, "evaluation_set.update_prompt", { promptId: input.promptId, from: { policy: before.policy, harmCategory: before.harmCategory }, to: { policy: after.policy, harmCategory: after.harmCategory } });
    return { ...after, version };
  });
}

export async function removeEvaluationPrompt(db: Db, promptId: string, actorId: string | null) {
  const row = await db.evaluationPrompt.findUnique({ where: { id: promptId }, select: { setId: true } });
  if (!row) throw new AppError("NOT_FOUND", `No evaluation prompt ${promptId}`);
  await assertEditable(db, row.setId);
  return db.$transaction(async (tx) => {
    await tx.evaluationPrompt.delete({ where: { id: promptId } });
    return { version: await bump(tx, row.setId, actorId, "evaluation_set.remove_prompt", { promptId }) };
  });
}

async function getSetRowOrThrow(db: Db | Prisma.TransactionClient, setId: string) {
  const set = await db.evaluationSet.findUnique({ where: { id: setId }, select: { id: true, projectId: true, version: true, kind: true } });
  if (!set) throw new AppError("NOT_FOUND", `No evaluation set ${setId}`);
  return set;
}

/** The red-team regression set holds successful attacks only, as they were: it is not edited by hand. */
async function assertEditable(db: Db, setId: string) {
  const set = await getSetRowOrThrow(db, setId);
  if (set.kind === "red_team") throw new AppError("CONFLICT", "The red-team regression set is frozen: attacks enter it from a red-team campaign (Send on) and are never edited or removed");
  return set;
}

/** The set as the trainer's prompts file: one `{id, prompt, policy, meta}` line per prompt. */
export async function evaluationPromptsJsonl(db: Db, setId: string): Promise<{ version: number; projectId: string; lines: string; count: number }> {
  const set = await getSetRowOrThrow(db, setId);
  const prompts = await db.evaluationPrompt.findMany({ where: { setId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: evaluationPromptSelect });
  const lines = prompts.map((p) => `${JSON.stringify({ id: p.id, prompt: p.messages, policy: p.policy, meta: { harmCategory: p.harmCategory } })}\n`).join("");
  return { version: set.version, projectId: set.projectId, lines, count: prompts.length };
}
