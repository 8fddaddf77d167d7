import { z } from "zod";
import { ZMessages } from "../import/conversation";
import { ZResponseContent } from "../import/import-record";

const maxIdChars = 200;

/** One line of a feedback batch: a conversation from a deployed chat product and what the user did. */
export const ZFeedbackLine = z.object({
  id: z.string({ error: (i) => (i.input === undefined ? "missing: the deployment's id for the conversation" : "expected a string") }).trim().min(1, "expected a non-empty id").max(maxIdChars, `expected at most ${maxIdChars} characters`),
  model: z.string({ error: (i) => (i.input === undefined ? "missing: the model that answered" : "expected a string") }).trim().min(1, "expected a model name").max(maxIdChars, `expected at most ${maxIdChars} characters`),
  /** The conversation, ending with the assistant answer the feedback is about. */
  messages: ZMessages,
  rating: z.enum(["up", "down"]).nullable().default(null),
  event: z.enum(["regenerate", "edit"]).nullable().default(null),
  editedAnswer: ZResponseContent.nullable().default(null),
  comment: z.string().max(5000, "expected at most 5000 characters").nullable().default(null),
  consent: z.boolean({ error: "expected true or false" }).optional(),
});
export type FeedbackLine = z.output<typeof ZFeedbackLine>;
