import { z } from "zod";
import { annotatorProcedure, createTRPCRouter } from "../api/trpc";
import { myQuality } from "./my-quality";
import { ZAskInput } from "./inbox.schema";
import { askAboutReview } from "./questions";
import { listReviews, markReviewsRead, unreadReviews } from "./service";

export const inboxRouter = createTRPCRouter({
  /** The caller's reviewed work, the latest review first. */
  list: annotatorProcedure
    .input(z.object({ page: z.number().int().min(0).max(100_000).default(0), pageSize: z.number().int().min(1).max(100).default(20) }).default({ page: 0, pageSize: 20 }))
    .query(({ ctx, input }) => listReviews(ctx.db, ctx.user.id, input)),
  /** The caller's own quality per project: acceptance week by week, gold accuracy, agreement with peers. */
  quality: annotatorProcedure.query(({ ctx }) => myQuality(ctx.db, ctx.user.id)),
  unread: annotatorProcedure.query(async ({ ctx }) => ({ count: await unreadReviews(ctx.db, ctx.user.id) })),
  /** Asks the reviewers about the review of one's own work; they see it in the review console. */
  ask: annotatorProcedure
    .input(ZAskInput)
    .mutation(({ ctx, input }) => askAboutReview(ctx.db, ctx.user.id, input)),
  /** Marks the given reviews (or all) of the caller's as seen. */
  markRead: annotatorProcedure
    .input(
      z.union([z.object({ annotationIds: z.array(z.uuid("annotationIds must be UUIDs")).min(1).max(100) }), z.object({ all: z.literal(true) })], {
        error: "Name the reviews (annotationIds) or say all: true",
      }),
    )
    .mutation(({ ctx, input }) => markReviewsRead(ctx.db, ctx.user.id, "annotationIds" in input ? input.annotationIds : undefined)),
});
