// The project's rule for which production feedback becomes labelling work. Pure: the service
// supplies what it counted in the database.
import { createHash } from "node:crypto";
import type { FeedbackSampling } from "./sampling.schema";

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
