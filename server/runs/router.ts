import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { enqueue } from "../jobs/service";
import { getBoss } from "../queue";
import { ZListRunsInput, ZRunIdInput, ZRunMetricsInput, ZStartRunInput } from "./run.schema";
import { getRunOrThrow, listMetrics, listRuns } from "./service";

export const runsRouter = createTRPCRouter({
  start: adminProcedure
    .input(ZStartRunInput)
    .mutation(async ({ ctx, input }) => enqueue({ db: ctx.db, boss: await getBoss() }, input.kind, input.payload, { createdById: ctx.user.id })),
  list: adminProcedure.input(ZListRunsInput.optional()).query(({ ctx, input }) => listRuns(ctx.db, ZListRunsInput.parse(input ?? {}))),
  get: adminProcedure.input(ZRunIdInput).query(({ ctx, input }) => getRunOrThrow(ctx.db, input.jobId)),
  metrics: adminProcedure.input(ZRunMetricsInput).query(({ ctx, input }) => listMetrics(ctx.db, input.jobId, input)),
});
