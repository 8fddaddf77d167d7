import { z } from "zod";
import { ZSubmissionLabels, ZRanking } from "../annotation/submission.schema";
import { pairwiseVerdicts } from "../annotation/ranking";

export const reviewStates = ["pending", "accepted", "rejected", "corrected"] as const;

export const ZReviewListInput = z.object({
  projectId: z.uuid("projectId must be a UUID").optional(),
  annotatorId: z.string().min(1).max(64).optional(),
  taskId: z.uuid("taskId must be a UUID").optional(),
  reviewState: z.enum(reviewStates).optional(),
  /** Only annotations with at least one quality flag. */
  flagged: z.boolean().optional(),
  /** Only annotations whose annotator asked a question that no reviewer has answered yet. */
  openQuestions: z.boolean().optional(),
  sort: z.enum(["createdAt", "timeSpentMs"]).default("createdAt"),
  direction: z.enum(["asc", "desc"]).default("desc"),
  page: z.number().int().min(0).max(100_000).default(0),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type TReviewListInput = z.input<typeof ZReviewListInput>;

export const ZAnnotationIdInput = z.object({ annotationId: z.uuid("annotationId must be a UUID") });

export const ZRejectInput = ZAnnotationIdInput.extend({
  reason: z.string().trim().min(1, "Say why the annotation is rejected").max(2000),
});

export const ZCorrectInput = ZAnnotationIdInput.extend({
  labels: ZSubmissionLabels.extend({
    ranking: ZRanking.optional(),
    verdict: z.enum(pairwiseVerdicts).nullable().optional(),
  }),
  note: z.string().trim().max(2000).nullable().default(null),
});
export type TCorrectInput = z.input<typeof ZCorrectInput>;
