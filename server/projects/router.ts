import { annotatorProcedure, createTRPCRouter } from "../api/trpc";
import { listActiveProjects } from "./service";

export const projectsRouter = createTRPCRouter({
  list: annotatorProcedure.query(({ ctx }) => listActiveProjects(ctx.db, { userId: ctx.user.id })),
});
