import { annotatorProcedure, createTRPCRouter } from "../api/trpc";

export const meRouter = createTRPCRouter({
  get: annotatorProcedure.query(({ ctx }) => ctx.user),
});
