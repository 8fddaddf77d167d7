import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { getBoss } from "../queue";
import { ZLoopStatusInput, ZStartLoopStepInput } from "./loop.schema";
import { startLoopStep } from "./start-step";
import { getLoopStatus } from "./status";

export const loopRouter = createTRPCRouter({
  status: adminProcedure.input(ZLoopStatusInput).query(({ ctx, input }) => getLoopStatus(ctx.db, input.projectId)),
  start: adminProcedure.input(ZStartLoopStepInput).mutation(async ({ ctx, input }) => startLoopStep({ db: ctx.db, boss: await getBoss() }, input, ctx.user.id)),
});
