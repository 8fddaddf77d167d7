import { adminProcedure, createTRPCRouter, redTeamProcedure } from "../api/trpc";
import { getBoss } from "../queue";
import { assertProjectAccess, memberProjectIds } from "../projects/membership";
import { ZProjectIdInput } from "../projects/project.schema";
import { storagePathsFromEnv } from "../storage";
import { ZCampaignIdInput, ZCreateCampaignInput, ZRecordAttemptInput, ZReplayInput, ZSendOnInput } from "./campaign.schema";
import { campaignFigures } from "./dashboard";
import { campaignReplays, replayAttacks } from "./replay";
import { campaignAttempts, closeCampaign, createCampaign, getCampaignOrThrow, listCampaigns, recordAttempt, sendOnSuccesses } from "./service";
import { rubricGrades, tacticTags } from "./tactics";

/** A campaign the caller may work on: its project's members and admins. */
const onCampaign = redTeamProcedure.input(ZCampaignIdInput).use(async ({ ctx, input, next }) => {
  const campaign = await getCampaignOrThrow(ctx.db, input.campaignId);
  await assertProjectAccess(ctx.db, ctx.user, campaign.projectId);
  return next({ ctx: { campaign } });
});

export const redTeamRouter = createTRPCRouter({
  /** The project's campaigns with their attempt and success counts. */
  campaigns: redTeamProcedure.input(ZProjectIdInput).query(async ({ ctx, input }) => {
    await assertProjectAccess(ctx.db, ctx.user, input.projectId);
    return listCampaigns(ctx.db, input.projectId);
  }),
  /** The campaigns of every project the caller works on, open ones first (the red-team page, the playground's "save attempt"). */
  myCampaigns: redTeamProcedure.query(async ({ ctx }) => {
    const projects = await memberProjectIds(ctx.db, ctx.user);
    const rows = await ctx.db.redTeamCampaign.findMany({
      where: projects ? { projectId: { in: projects } } : {},
      orderBy: [{ closedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
      select: {
        id: true,
        name: true,
        goals: true,
        domains: true,
        closedAt: true,
        createdAt: true,
        targetModel: { select: { id: true, name: true } },
        project: { select: { id: true, name: true } },
        _count: { select: { attempts: true } },
      },
    });
    return { campaigns: rows.map((r) => ({ ...r, goals: r.goals as { category: string; goal: string }[] })), tactics: tacticTags, grades: rubricGrades };
  }),
  /** One campaign: its goals, attempts, success rates and replays against other versions. */
  campaign: onCampaign.query(async ({ ctx }) => {
    const attempts = await campaignAttempts(ctx.db, ctx.campaign);
    const models = new Map(attempts.map((a) => [a.modelVersion.id, a.modelVersion.name]));
    const figures = campaignFigures(attempts.map((a) => ({ harmCategory: a.harmCategory, tactics: a.tactics, modelVersionId: a.modelVersion.id, success: a.success })));
    const replays = await campaignReplays(ctx.db, ctx.campaign.projectId, storagePathsFromEnv().artifactDir);
    return {
      campaign: ctx.campaign,
      attempts,
      figures: { ...figures, byModel: figures.byModel.map((r) => ({ ...r, name: models.get(r.key) ?? r.key })) },
      replays,
      tactics: tacticTags,
      grades: rubricGrades,
    };
  }),
  createCampaign: adminProcedure.input(ZCreateCampaignInput).mutation(({ ctx, input }) => createCampaign(ctx.db, input, ctx.user.id)),
  closeCampaign: adminProcedure.input(ZCampaignIdInput).mutation(({ ctx, input }) => closeCampaign(ctx.db, input.campaignId, ctx.user.id)),
  /** Saves an attack with its tactic and the caller's rubric grade of the model's last answer. */
  recordAttempt: redTeamProcedure.input(ZRecordAttemptInput).mutation(async ({ ctx, input }) => {
    const campaign = await getCampaignOrThrow(ctx.db, input.campaignId);
    await assertProjectAccess(ctx.db, ctx.user, campaign.projectId);
    return recordAttempt(ctx.db, input, ctx.user.id);
  }),
  /** Successful attacks → the red-team regression set and labelling tasks (source red_team). */
  sendOn: adminProcedure.input(ZSendOnInput).mutation(({ ctx, input }) => sendOnSuccesses({ db: ctx.db, boss: getBoss }, input, ctx.user.id)),
  /** The regression set's attacks against another version, judged by the safety classifier. */
  replay: adminProcedure.input(ZReplayInput).mutation(({ ctx, input }) => replayAttacks({ db: ctx.db, boss: getBoss }, input, ctx.user.id)),
});
