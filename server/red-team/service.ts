// Red-teaming campaigns: admins set the target and goals, red-teamers record graded attacks, and
// successful attacks are sent on as labelling tasks and into the frozen red-team regression set.
import type { Db } from "../db";
import { openBoss, type BossSource } from "../queue";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import type { Message } from "../import/conversation";
import { promptHash } from "../import/import-record";
import { enqueue } from "../jobs/service";
import { getModelVersionOrThrow } from "../models/service";
import type { TCreateCampaignInput, TRecordAttemptInput } from "./campaign.schema";
import { isSuccess, type RubricGrade } from "./tactics";

export type CampaignGoal = { category: string; goal: string };

/** The name of the set a project's successful attacks are frozen into. */
export const redTeamSetName = "Red-team regression set";

const campaignSelect = {
  id: true,
  projectId: true,
  name: true,
  description: true,
  targetModelId: true,
  targetModel: { select: { id: true, name: true, kind: true } },
  goals: true,
  domains: true,
  createdAt: true,
  closedAt: true,
} satisfies Prisma.RedTeamCampaignSelect;

const policyKinds = ["policy", "sft"] as const;

export async function createCampaign(db: Db, input: TCreateCampaignInput, actorId: string) {
  const project = await db.project.findUnique({ where: { id: input.projectId }, select: { id: true, archivedAt: true, harmTaxonomy: true } });
  if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${input.projectId}`);
  const unknown = input.goals.map((g) => g.category).filter((c) => !project.harmTaxonomy.includes(c));
  if (unknown.length) throw new AppError("BAD_REQUEST", `Not in the project's harm taxonomy: ${unknown.join(", ")} (it has: ${project.harmTaxonomy.join(", ")})`);
  const target = await getModelVersionOrThrow(db, input.targetModelId, { kinds: policyKinds, role: "the campaign's target" });
  if (target.projectId && target.projectId !== project.id) throw new AppError("BAD_REQUEST", `Model version ${target.name} belongs to another project`);
  const taken = await db.redTeamCampaign.findUnique({ where: { projectId_name: { projectId: project.id, name: input.name } }, select: { id: true } });
  if (taken) throw new AppError("CONFLICT", `The project already has a campaign named "${input.name}"`);
  return db.$transaction(async (tx) => {
    const campaign = await tx.redTeamCampaign.create({
      data: { projectId: project.id, name: input.name, description: input.description, targetModelId: target.id, goals: input.goals, domains: input.domains, createdById: actorId },
      select: campaignSelect,
    });
    await tx.auditLog.create({
      data: { actorId, action: "red_team.campaign_create", target: `red_team_campaign:${campaign.id}`, projectId: project.id, after: { name: campaign.name, targetModelId: target.id, goals: input.goals, domains: input.domains } },
    });
    return campaign;
  });
}

export async function getCampaignOrThrow(db: Db, campaignId: string) {
  const campaign = await db.redTeamCampaign.findUnique({ where: { id: campaignId }, select: campaignSelect });
  if (!campaign) throw new AppError("NOT_FOUND", `No red-team campaign ${campaignId}`);
  return { ...campaign, goals: campaign.goals as CampaignGoal[] };
}

/** The project's campaigns, newest first, with their attempt and success counts. */
export async function listCampaigns(db: Db, projectId: string) {
  const campaigns = await db.redTeamCampaign.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, select: campaignSelect });
  const counts = await db.redTeamAttempt.groupBy({ by: ["campaignId", "success"], where: { campaignId: { in: campaigns.map((c) => c.id) } }, _count: { _all: true } });
  return campaigns.map((c) => {
    const mine = counts.filter((x) => x.campaignId === c.id);
    return {
      ...c,
      goals: c.goals as CampaignGoal[],
      attempts: mine.reduce((n, x) => n + x._count._all, 0),
      successes: mine.filter((x) => x.success).reduce((n, x) => n + x._count._all, 0),
    };
  });
}

export async function closeCampaign(db: Db, campaignId: string, actorId: string) {
  const campaign = await getCampaignOrThrow(db, campaignId);
  if (campaign.closedAt) return campaign;
  return db.$transaction(async (tx) => {
    const closed = await tx.redTeamCampaign.update({ where: { id: campaignId }, data: { closedAt: new Date() }, select: campaignSelect });
    await tx.auditLog.create({ data: { actorId, action: "red_team.campaign_close", target: `red_team_campaign:${campaignId}`, projectId: campaign.projectId } });
    return closed;
  });
}

/** The conversation up to the attacker's last turn: what is replayed and what the regression set holds. */
export function attackOf(messages: readonly Message[]): Message[] {
  const last = messages.findLastIndex((m) => m.role === "user");
  return messages.slice(0, last + 1).map((m) => ({ role: m.role, content: m.content }));
}

/** Saves one graded attack. Success is decided here from the policy and grade, never taken from the client. */
export async function recordAttempt(db: Db, input: TRecordAttemptInput, authorId: string) {
  const campaign = await getCampaignOrThrow(db, input.campaignId);
  if (campaign.closedAt) throw new AppError("CONFLICT", `The campaign "${campaign.name}" is closed: it takes no more attempts`);
  const categories = campaign.goals.map((g) => g.category);
  if (!categories.includes(input.harmCategory)) throw new AppError("BAD_REQUEST", `The campaign's harm categories are ${categories.join(", ")}; "${input.harmCategory}" is not one of them`);
  if (input.domain && campaign.domains.length && !campaign.domains.includes(input.domain)) {
    throw new AppError("BAD_REQUEST", `The campaign's domains are ${campaign.domains.join(", ")}; "${input.domain}" is not one of them`);
  }
  const model = await getModelVersionOrThrow(db, input.modelVersionId, { kinds: policyKinds, role: "the model that answered" });
  if (model.projectId && model.projectId !== campaign.projectId) throw new AppError("BAD_REQUEST", `Model version ${model.name} belongs to another project`);
  const messages = input.messages.map((m) => ({ role: m.role, content: m.content }));
  const success = isSuccess(input.promptPolicy, input.grade as RubricGrade);
  return db.redTeamAttempt.create({
    data: {
      campaignId: campaign.id,
      authorId,
      modelVersionId: model.id,
      messages,
      harmCategory: input.harmCategory,
      domain: input.domain ?? null,
      tactics: [...new Set(input.tactics)],
      tacticNote: input.tacticNote,
      promptPolicy: input.promptPolicy,
      grade: input.grade,
      success,
      attackHash: promptHash(attackOf(messages)),
    },
    select: { id: true, success: true, grade: true, createdAt: true },
  });
}

/** The project's red-team regression set (its first, should there be more), or null before the first attack is frozen. */
export function findRedTeamSet(db: Db | Prisma.TransactionClient, projectId: string) {
  return db.evaluationSet.findFirst({ where: { projectId, kind: "red_team" }, orderBy: { createdAt: "asc" }, select: { id: true, version: true, _count: { select: { prompts: true } } } });
}

/** The project's red-team regression set, made the first time an attack is frozen into it. */
async function redTeamSet(tx: Prisma.TransactionClient, projectId: string) {
  const existing = await findRedTeamSet(tx, projectId);
  if (existing) return existing.id;
  const created = await tx.evaluationSet.create({
    data: { projectId, kind: "red_team", name: redTeamSetName, description: "Successful red-team attacks, frozen: every later policy is evaluated on them, and release gates read its unsafe rate as the red-team success rate." },
    select: { id: true },
  });
  return created.id;
}

type SendOnDeps = { db: Db; boss: BossSource };

/**
 * Sends successful attacks on: each becomes an item of the frozen red-team regression set (at
 * once) and a labelling task with source `red_team` holding the failing answer beside K − 1 fresh
 * candidates from the chosen policy (a `generate` job), so annotators rank a refusal above it.
 */
export async function sendOnSuccesses(deps: SendOnDeps, input: { campaignId: string; attemptIds?: string[]; policyModelId?: string }, actorId: string) {
  const { db } = deps;
  const campaign = await getCampaignOrThrow(db, input.campaignId);
  const attempts = await db.redTeamAttempt.findMany({
    where: { campaignId: campaign.id, ...(input.attemptIds ? { id: { in: input.attemptIds } } : { success: true, sendJobId: null }) },
    orderBy: { createdAt: "asc" },
    select: { id: true, success: true, sendJobId: true, messages: true, harmCategory: true, modelVersionId: true },
  });
  if (input.attemptIds) {
    const found = new Set(attempts.map((a) => a.id));
    const missing = input.attemptIds.filter((id) => !found.has(id));
    if (missing.length) throw new AppError("NOT_FOUND", `Not attempts of this campaign: ${missing.join(", ")}`);
    const failed = attempts.filter((a) => !a.success);
    if (failed.length) throw new AppError("BAD_REQUEST", `Only successful attacks are sent on; these were not successes: ${failed.map((a) => a.id).join(", ")}`);
    const sent = attempts.filter((a) => a.sendJobId);
    if (sent.length) throw new AppError("CONFLICT", `Already sent on: ${sent.map((a) => a.id).join(", ")}`);
  }
  if (!attempts.length) throw new AppError("BAD_REQUEST", "No successful attack is waiting to be sent on");

  const conversations = attempts.map((a) => {
    const messages = a.messages as Message[];
    return { attempt: a, attack: attackOf(messages), answer: messages.at(-1)!.content };
  });
  // The regression set first: it is what later policies are held to, and it needs no worker.
  const regression = await db.$transaction(async (tx) => {
    const setId = await redTeamSet(tx, campaign.projectId);
    const rows = conversations.map((c) => ({ setId, messages: c.attack, policy: "disallowed" as const, harmCategory: c.attempt.harmCategory, contentHash: promptHash(c.attack) }));
    const { count } = await tx.evaluationPrompt.createMany({ data: rows, skipDuplicates: true });
    if (count) await tx.evaluationSet.update({ where: { id: setId }, data: { version: { increment: 1 } } });
    const items = await tx.evaluationPrompt.findMany({ where: { setId, contentHash: { in: rows.map((r) => r.contentHash) } }, select: { id: true, contentHash: true } });
    const byHash = new Map(items.map((i) => [i.contentHash, i.id]));
    for (const c of conversations) {
      await tx.redTeamAttempt.update({ where: { id: c.attempt.id }, data: { regressionPromptId: byHash.get(promptHash(c.attack)) ?? null } });
    }
    await tx.auditLog.create({
      data: { actorId, action: "red_team.send_on", target: `red_team_campaign:${campaign.id}`, projectId: campaign.projectId, after: { attemptIds: attempts.map((a) => a.id), setId, added: count } },
    });
    return { setId, added: count };
  });

  const boss = await openBoss(deps.boss);
  const job = await enqueue(
    { db, boss },
    "generate",
    {
      projectId: campaign.projectId,
      ...(input.policyModelId ? { policyModelId: input.policyModelId } : {}),
      source: "red_team",
      conversations: conversations.map((c) => ({
        messages: c.attack,
        answer: c.answer,
        answerModel: c.attempt.modelVersionId,
        meta: { redTeam: { campaignId: campaign.id, attemptId: c.attempt.id, harmCategory: c.attempt.harmCategory } },
      })),
    },
    { createdById: actorId },
  );
  await db.redTeamAttempt.updateMany({ where: { id: { in: attempts.map((a) => a.id) } }, data: { sendJobId: job.id } });
  return { jobId: job.id, attempts: attempts.length, regressionSetId: regression.setId, addedToRegressionSet: regression.added };
}

/** Fills in the task each sent attempt became, once its generate job has imported it. */
async function linkSentTasks(db: Db, campaignId: string, projectId: string) {
  const waiting = await db.redTeamAttempt.findMany({ where: { campaignId, sendJobId: { not: null }, taskId: null }, select: { id: true } });
  for (const { id } of waiting) {
    const task = await db.task.findFirst({ where: { projectId, meta: { path: ["redTeam", "attemptId"], equals: id } }, select: { id: true } });
    if (task) await db.redTeamAttempt.update({ where: { id }, data: { taskId: task.id } });
  }
}

export type CampaignAttemptRow = Awaited<ReturnType<typeof campaignAttempts>>[number];

/** The campaign's attempts, newest first, with the task each success became. */
export async function campaignAttempts(db: Db, campaign: { id: string; projectId: string }) {
  const campaignId = campaign.id;
  await linkSentTasks(db, campaignId, campaign.projectId);
  const rows = await db.redTeamAttempt.findMany({
    where: { campaignId },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      messages: true,
      harmCategory: true,
      domain: true,
      tactics: true,
      tacticNote: true,
      promptPolicy: true,
      grade: true,
      success: true,
      attackHash: true,
      sendJobId: true,
      taskId: true,
      regressionPromptId: true,
      createdAt: true,
      author: { select: { id: true, name: true } },
      modelVersion: { select: { id: true, name: true } },
    },
  });
  return rows.map((r) => ({ ...r, messages: r.messages as Message[] }));
}
