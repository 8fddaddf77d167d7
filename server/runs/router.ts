import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { enqueue } from "../jobs/service";
import { getBoss } from "../queue";
import { ZRunMetricsInput, ZStartRunInput } from "./run.schema";
import { listMetrics } from "./service";

export const runsRouter = createTRPCRouter({
  start: adminProcedure
    .input(ZStartRunInput)
    .mutation(async ({ ctx, input }) => enqueue({ db: ctx.db, boss: await getBoss() }, input.kind, input.payload, { createdById: ctx.user.id })),
  metrics: adminProcedure.input(ZRunMetricsInput).query(({ ctx, input }) => listMetrics(ctx.db, input.jobId, input)),
});
