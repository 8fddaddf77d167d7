import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { ZProjectIdInput } from "../projects/project.schema";
import { getBoss } from "../queue";
import { conversationsWaitingForCandidates, generateFeedbackCandidates } from "./candidates";

export const feedbackRouter = createTRPCRouter({
  /** How many sampled production conversations wait for fresh candidates. */
  waiting: adminProcedure.input(ZProjectIdInput).query(async ({ ctx, input }) => ({ conversations: (await conversationsWaitingForCandidates(ctx.db, input.projectId)).length })),
  /** A generate job giving each waiting conversation K − 1 fresh candidates beside its answer. */
  generateCandidates: adminProcedure
    .input(ZProjectIdInput.extend({ policyModelId: z.uuid("policyModelId must be a model version's id").optional() }))
    .mutation(({ ctx, input }) => generateFeedbackCandidates({ db: ctx.db, boss: getBoss }, input, ctx.user.id)),
});
