import { getBoss } from "../queue";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { ZEnqueuePingInput, ZJobIdInput, ZListJobsInput } from "./job.schema";
import { cancelJob, enqueue, getJobOrThrow, listJobs } from "./service";
import { relativeToStorage } from "../storage";

export const jobsRouter = createTRPCRouter({
  list: adminProcedure.input(ZListJobsInput.optional()).query(({ ctx, input }) => listJobs(ctx.db, ZListJobsInput.parse(input ?? {})).then(relativeToStorage)),
  get: adminProcedure.input(ZJobIdInput).query(({ ctx, input }) => getJobOrThrow(ctx.db, input.id).then(relativeToStorage)),
  cancel: adminProcedure.input(ZJobIdInput).mutation(({ ctx, input }) => cancelJob(ctx.db, input.id, { userId: ctx.user.id })),
  enqueuePing: adminProcedure.input(ZEnqueuePingInput).mutation(async ({ ctx, input }) =>
    enqueue({ db: ctx.db, boss: await getBoss() }, "ping", { message: input.message }, { createdById: ctx.user.id }),
  ),
});
