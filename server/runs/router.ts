import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { getBoss } from "../queue";
import { ZListRunsInput, ZRunIdInput, ZRunMetricsInput, ZStartRunInput } from "./run.schema";
import { getRunOrThrow, listMetrics, listRuns } from "./service";
import { startRun } from "./start-run";
import { relativeToStorage } from "../storage";

export const runsRouter = createTRPCRouter({
  start: adminProcedure
    .input(ZStartRunInput)
    .mutation(async ({ ctx, input }) => startRun({ db: ctx.db, boss: await getBoss() }, input, { createdById: ctx.user.id })),
  list: adminProcedure.input(ZListRunsInput.optional()).query(({ ctx, input }) => listRuns(ctx.db, ZListRunsInput.parse(input ?? {})).then(relativeToStorage)),
  get: adminProcedure.input(ZRunIdInput).query(({ ctx, input }) => getRunOrThrow(ctx.db, input.jobId).then(relativeToStorage)),
  metrics: adminProcedure.input(ZRunMetricsInput).query(({ ctx, input }) => listMetrics(ctx.db, input.jobId, input)),
});
