import { z } from "zod";

/** A question or a reply about a review, in characters. */
export const maxMessageLength = 2000;

const messageBody = (empty: string, what: string) =>
  z.string().trim().min(1, empty).max(maxMessageLength, `${what} is at most ${maxMessageLength} characters`);

/** The annotator's question about the review of their own work. */
export const ZAskInput = z.object({ annotationId: z.uuid("annotationId must be a UUID"), body: messageBody("Write your question", "A question") });

/** A reviewer's reply to it. */
export const ZReplyInput = z.object({ annotationId: z.uuid("annotationId must be a UUID"), body: messageBody("Write a reply", "A reply") });
