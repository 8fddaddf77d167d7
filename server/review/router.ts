import { createTRPCRouter, reviewerProcedure } from "../api/trpc";
import { assertAnnotationAccess, assertProjectAccess, memberProjectIds } from "../projects/membership";
import { ZReplyInput } from "../inbox/inbox.schema";
import { replyToQuestion } from "../inbox/questions";
import { ZAnnotationIdInput, ZCorrectInput, ZRejectInput, ZReviewListInput } from "./review.schema";
import { acceptAnnotation, correctAnnotation, getAnnotationForReview, listAnnotationsForReview, rejectAnnotation } from "./service";

/** Review of one annotation: by admins and by members of its project. */
const onAnnotation = reviewerProcedure.input(ZAnnotationIdInput).use(async ({ ctx, input, next }) => {
  await assertAnnotationAccess(ctx.db, ctx.user, input.annotationId);
  return next();
});

export const reviewRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZReviewListInput).query(async ({ ctx, input }) => {
    if (input.projectId) await assertProjectAccess(ctx.db, ctx.user, input.projectId);
    return listAnnotationsForReview(ctx.db, input, await memberProjectIds(ctx.db, ctx.user));
  }),
  get: onAnnotation.query(({ ctx, input }) => getAnnotationForReview(ctx.db, input.annotationId, ctx.user.id)),
  accept: onAnnotation.mutation(({ ctx, input }) => acceptAnnotation(ctx.db, input, ctx.user.id)),
  reject: onAnnotation.input(ZRejectInput).mutation(({ ctx, input }) => rejectAnnotation(ctx.db, input, ctx.user.id)),
  correct: onAnnotation.input(ZCorrectInput).mutation(({ ctx, input }) => correctAnnotation(ctx.db, input, ctx.user.id)),
  /** Answers the annotator's question about this review; their inbox shows the reply as new. */
  reply: onAnnotation.input(ZReplyInput).mutation(({ ctx, input }) => replyToQuestion(ctx.db, ctx.user.id, input)),
});
