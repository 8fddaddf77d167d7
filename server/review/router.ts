import { createTRPCRouter, reviewerProcedure } from "../api/trpc";
import { ZAnnotationIdInput, ZCorrectInput, ZRejectInput, ZReviewListInput } from "./review.schema";
import { acceptAnnotation, correctAnnotation, getAnnotationForReview, listAnnotationsForReview, rejectAnnotation } from "./service";

export const reviewRouter = createTRPCRouter({
  list: reviewerProcedure.input(ZReviewListInput).query(({ ctx, input }) => listAnnotationsForReview(ctx.db, input)),
  get: reviewerProcedure.input(ZAnnotationIdInput).query(({ ctx, input }) => getAnnotationForReview(ctx.db, input.annotationId, ctx.user.id)),
  accept: reviewerProcedure.input(ZAnnotationIdInput).mutation(({ ctx, input }) => acceptAnnotation(ctx.db, input, ctx.user.id)),
  reject: reviewerProcedure.input(ZRejectInput).mutation(({ ctx, input }) => rejectAnnotation(ctx.db, input, ctx.user.id)),
  correct: reviewerProcedure.input(ZCorrectInput).mutation(({ ctx, input }) => correctAnnotation(ctx.db, input, ctx.user.id)),
});
