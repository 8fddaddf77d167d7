import { createTRPCRouter, publicProcedure } from "../api/trpc";
import { checkHealth } from "./service";

export const healthRouter = createTRPCRouter({
  check: publicProcedure.query(({ ctx }) => checkHealth(ctx.db)),
});
