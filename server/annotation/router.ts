import { annotatorProcedure, createTRPCRouter } from "../api/trpc";
import { assertProjectAccess } from "../projects/membership";
import { ZAssignmentIdInput, ZDemonstrationInput, ZProjectIdInput, ZReportInput, ZSkipInput, ZSubmitInput } from "./annotation.schema";
import {
  getAssignmentView,
  nextAssignment,
  reportPrompt,
  saveDemonstration,
  skipAssignment,
  submitAnnotation,
} from "./service";

export const annotationRouter = createTRPCRouter({
  /** Resumes the live lease or leases a new task; null when nothing is left for this annotator. */
  next: annotatorProcedure.input(ZProjectIdInput).mutation(async ({ ctx, input }) => {
    await assertProjectAccess(ctx.db, ctx.user, input.projectId);
    const next = await nextAssignment(ctx.db, { projectId: input.projectId, annotatorId: ctx.user.id });
    return next ? getAssignmentView(ctx.db, { assignmentId: next.assignmentId, annotatorId: ctx.user.id }) : null;
  }),
  get: annotatorProcedure
    .input(ZAssignmentIdInput)
    .query(({ ctx, input }) => getAssignmentView(ctx.db, { assignmentId: input.assignmentId, annotatorId: ctx.user.id })),
  submit: annotatorProcedure.input(ZSubmitInput).mutation(async ({ ctx, input }) => {
    const result = await submitAnnotation(ctx.db, {
      assignmentId: input.assignmentId,
      annotatorId: ctx.user.id,
      idempotencyKey: input.idempotencyKey,
      labels: input.labels,
      timeSpentMs: input.timeSpentMs,
    });
    if (!input.includeNext) return { result, next: null };
    // The label above stands; the next task needs the membership still.
    await assertProjectAccess(ctx.db, ctx.user, result.projectId);
    const next = await nextAssignment(ctx.db, { projectId: result.projectId, annotatorId: ctx.user.id });
    return { result, next: next ? await getAssignmentView(ctx.db, { assignmentId: next.assignmentId, annotatorId: ctx.user.id }) : null };
  }),
  skip: annotatorProcedure
    .input(ZSkipInput)
    .mutation(({ ctx, input }) => skipAssignment(ctx.db, { ...input, annotatorId: ctx.user.id })),
  report: annotatorProcedure
    .input(ZReportInput)
    .mutation(({ ctx, input }) => reportPrompt(ctx.db, { ...input, annotatorId: ctx.user.id })),
  demonstrate: annotatorProcedure
    .input(ZDemonstrationInput)
    .mutation(({ ctx, input }) => saveDemonstration(ctx.db, { ...input, authorId: ctx.user.id })),
});
