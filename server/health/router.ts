import { createTRPCRouter, publicProcedure } from "../api/trpc";
import { getBoss } from "../queue";
import { checkHealth } from "./service";

export const healthRouter = createTRPCRouter({
  check: publicProcedure.query(({ ctx }) => checkHealth(ctx.db, () => getBoss().then((boss) => boss.getQueues()))),
});
