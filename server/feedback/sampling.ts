// The project's rule for which production feedback becomes labelling work. Pure: the service
// supplies what it counted in the database.
import { createHash } from "node:crypto";
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

/** The last user turn, case- and whitespace-folded: "Reset  my password?" and "reset my password?" are one prompt. */
export function normalisedPromptHash(messages: readonly { role: string; content: string }[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  return createHash("sha256").update(lastUser.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim()).digest("hex");
}

/**
 * Where an id falls in [0, 1): the same conversation always falls in the same place, so sampling
 * is reproducible and a resend cannot change the decision.
 */
export function samplingPoint(externalId: string): number {
  return createHash("sha256").update(externalId).digest().readUInt32BE(0) / 2 ** 32;
}

export type SamplingCandidate = { externalId: string; model: string; rating: "up" | "down" | null; promptHash: string };

/**
 * Which of `candidates` (in arrival order) are sampled, given how many each model already has
 * sampled and which prompts already were.
 */
export function chooseSampled(
  rule: FeedbackSampling | null,
  candidates: readonly SamplingCandidate[],
  already: { perModel: Map<string, number>; prompts: Set<string> },
): Set<string> {
  const chosen = new Set<string>();
  if (!rule) return chosen;
  const perModel = new Map(already.perModel);
  const prompts = new Set(already.prompts);
  for (const c of candidates) {
    const p = c.rating === "down" ? rule.downShare : c.rating === "up" ? rule.upShare : rule.unratedShare;
    if (samplingPoint(c.externalId) >= p) continue;
    if (rule.dedupByPrompt && prompts.has(c.promptHash)) continue;
    const n = perModel.get(c.model) ?? 0;
    if (rule.perModelQuota !== null && n >= rule.perModelQuota) continue;
    chosen.add(c.externalId);
    perModel.set(c.model, n + 1);
    prompts.add(c.promptHash);
  }
  return chosen;
}
