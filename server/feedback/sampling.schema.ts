// The project's feedback sampling rule (Project.feedbackSampling), shared by the settings form and
// the ingest; sampling.ts applies it.
import { z } from "zod";

const share = (what: string) => z.number({ error: `${what} is a fraction from 0 to 1` }).min(0, `${what} is a fraction from 0 to 1`).max(1, `${what} is a fraction from 0 to 1`);

export const ZFeedbackSampling = z.object({
  /** Share of thumbs-down conversations sampled. */
  downShare: share("downShare"),
  /** Share of thumbs-up conversations sampled. */
  upShare: share("upShare"),
  /** Share of conversations without a thumbs (a regenerate or an edit alone) sampled. */
  unratedShare: share("unratedShare").default(0),
  /** At most this many sampled conversations per model name; null: no quota. */
  perModelQuota: z.number().int("perModelQuota is a whole number").min(1, "perModelQuota is at least 1").max(1_000_000).nullable().default(null),
  /** A conversation whose normalised prompt was already sampled is not sampled again. */
  dedupByPrompt: z.boolean().default(true),
});
export type FeedbackSampling = z.output<typeof ZFeedbackSampling>;
