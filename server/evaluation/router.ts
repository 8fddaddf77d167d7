import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import {
  ZAddEvaluationPromptsInput,
  ZCreateEvaluationSetInput,
  ZEvaluationSetIdInput,
  ZProjectEvaluationSetsInput,
  ZRemoveEvaluationPromptInput,
  ZUpdateEvaluationPromptInput,
} from "./evaluation-set.schema";
import { comparableEvaluations, compareEvaluations, compareSamples, listModelEvaluations } from "./service";
import { spotCheckReport, startSpotCheck } from "./spot-check";
import { addEvaluationPrompts, createEvaluationSet, getEvaluationSetOrThrow, listEvaluationSets, removeEvaluationPrompt, updateEvaluationPrompt } from "./sets";

const ZCompareInput = z.object({ a: z.uuid("a must be an evaluation's id"), b: z.uuid("b must be an evaluation's id") });
const ZEvaluationIdInput = z.object({ evaluationId: z.uuid("evaluationId must be an evaluation's id") });

export const evaluationRouter = createTRPCRouter({
  sets: adminProcedure.input(ZProjectEvaluationSetsInput).query(({ ctx, input }) => listEvaluationSets(ctx.db, input.projectId)),
  set: adminProcedure.input(ZEvaluationSetIdInput).query(({ ctx, input }) => getEvaluationSetOrThrow(ctx.db, input.setId)),
  createSet: adminProcedure.input(ZCreateEvaluationSetInput).mutation(({ ctx, input }) => createEvaluationSet(ctx.db, input, ctx.user.id)),
  addPrompts: adminProcedure.input(ZAddEvaluationPromptsInput).mutation(({ ctx, input }) => addEvaluationPrompts(ctx.db, input.setId, input.prompts, ctx.user.id)),
  updatePrompt: adminProcedure.input(ZUpdateEvaluationPromptInput).mutation(({ ctx, input }) => updateEvaluationPrompt(ctx.db, input, ctx.user.id)),
  removePrompt: adminProcedure.input(ZRemoveEvaluationPromptInput).mutation(({ ctx, input }) => removeEvaluationPrompt(ctx.db, input.promptId, ctx.user.id)),
  forModel: adminProcedure
    .input(z.object({ modelVersionId: z.uuid("modelVersionId must be a model version's id") }))
    .query(({ ctx, input }) => listModelEvaluations(ctx.db, input.modelVersionId)),
  compare: adminProcedure.input(ZCompareInput).query(({ ctx, input }) => compareEvaluations(ctx.db, input.a, input.b)),
  compareSamples: adminProcedure.input(ZCompareInput).query(({ ctx, input }) => compareSamples(ctx.db, input.a, input.b)),
  comparable: adminProcedure.input(ZEvaluationIdInput).query(({ ctx, input }) => comparableEvaluations(ctx.db, input.evaluationId)),
  spotCheck: adminProcedure
    .input(ZEvaluationIdInput.extend({ prompts: z.int().min(1, "send at least one prompt").max(500, "at most 500 prompts at once").default(10) }))
    .mutation(({ ctx, input }) => startSpotCheck(ctx.db, input, ctx.user.id)),
  spotCheckReport: adminProcedure.input(ZEvaluationIdInput).query(({ ctx, input }) => spotCheckReport(ctx.db, input.evaluationId)),
});
