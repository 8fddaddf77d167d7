import { adminProcedure, annotatorProcedure, createTRPCRouter, reviewerProcedure } from "../api/trpc";
import { projectDashboard } from "../quality/dashboard";
import { projectQuality } from "../quality/report";
import { markGold } from "./gold";
import { ZCreateProjectInput, ZMarkGoldInput, ZProjectIdInput, ZUpdateProjectInput } from "./project.schema";
import { listActiveProjects } from "./service";
import { createProject, getProjectSettings, listAllProjects, setProjectArchived, updateProject } from "./settings";

export const projectsRouter = createTRPCRouter({
  /** The annotator's queue: active projects with their progress. */
  list: annotatorProcedure.query(({ ctx }) => listActiveProjects(ctx.db, { userId: ctx.user.id })),
  all: reviewerProcedure.query(({ ctx }) => listAllProjects(ctx.db)),
  get: reviewerProcedure.input(ZProjectIdInput).query(({ ctx, input }) => getProjectSettings(ctx.db, input.projectId)),
  create: adminProcedure.input(ZCreateProjectInput).mutation(({ ctx, input }) => createProject(ctx.db, input, ctx.user.id)),
  update: adminProcedure.input(ZUpdateProjectInput).mutation(({ ctx, input }) => updateProject(ctx.db, input, ctx.user.id)),
  archive: adminProcedure
    .input(ZProjectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, { projectId: input.projectId, archived: true }, ctx.user.id)),
  unarchive: adminProcedure
    .input(ZProjectIdInput)
    .mutation(({ ctx, input }) => setProjectArchived(ctx.db, { projectId: input.projectId, archived: false }, ctx.user.id)),
  markGold: adminProcedure.input(ZMarkGoldInput).mutation(({ ctx, input }) => markGold(ctx.db, input, ctx.user.id)),
  dashboard: reviewerProcedure.input(ZProjectIdInput).query(({ ctx, input }) => projectDashboard(ctx.db, { projectId: input.projectId })),
  quality: reviewerProcedure.input(ZProjectIdInput).query(({ ctx, input }) => projectQuality(ctx.db, input.projectId)),
});
