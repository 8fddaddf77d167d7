import { adminProcedure, annotatorProcedure, createTRPCRouter, reviewerProcedure } from "../api/trpc";
import { projectDashboard } from "../quality/dashboard";
import { projectQuality } from "../quality/report";
import { markGold } from "./gold";
import { addMembers, listMembers, memberProjectIds, removeMember } from "./membership";
import { ZAddMembersInput, ZCreateProjectInput, ZMarkGoldInput, ZProjectIdInput, ZRemoveMemberInput, ZUpdateProjectInput } from "./project.schema";
import { reviewerOnProject } from "./procedures";
import { listActiveProjects } from "./service";
import { createProject, getProjectSettings, listAllProjects, setProjectArchived, updateProject } from "./settings";

export const projectsRouter = createTRPCRouter({
  /** The annotator's queue: the active projects they are a member of, with their progress. */
  list: annotatorProcedure.query(async ({ ctx }) =>
    listActiveProjects(ctx.db, { userId: ctx.user.id, projectIds: await memberProjectIds(ctx.db, ctx.user) }),
  ),
  all: reviewerProcedure.query(async ({ ctx }) => listAllProjects(ctx.db, await memberProjectIds(ctx.db, ctx.user))),
  get: reviewerOnProject.query(({ ctx, input }) => getProjectSettings(ctx.db, input.projectId)),
  create: adminProcedure.input(ZCreateProjectInput).mutation(({ ctx, input }) => createProject(ctx.db, input, ctx.user.id)),
  update: adminProcedure.input(ZUpdateProjectInput).mutation(({ ctx, input }) => updateProject(ctx.db, input, ctx.user.id)),
  archive: adminProcedure
    .input(ZProjectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, { projectId: input.projectId, archived: true }, ctx.user.id)),
  unarchive: adminProcedure
    .input(ZProjectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, { projectId: input.projectId, archived: false }, ctx.user.id)),
  markGold: adminProcedure.input(ZMarkGoldInput).mutation(({ ctx, input }) => markGold(ctx.db, input, ctx.user.id)),
  dashboard: reviewerOnProject.query(({ ctx, input }) => projectDashboard(ctx.db, { projectId: input.projectId })),
  quality: reviewerOnProject.query(({ ctx, input }) => projectQuality(ctx.db, input.projectId)),
  members: adminProcedure.input(ZProjectIdInput).query(({ ctx, input }) => listMembers(ctx.db, input.projectId)),
  addMembers: adminProcedure.input(ZAddMembersInput).mutation(({ ctx, input }) => addMembers(ctx.db, input, ctx.user.id)),
  removeMember: adminProcedure.input(ZRemoveMemberInput).mutation(({ ctx, input }) => removeMember(ctx.db, input, ctx.user.id)),
});
