/**
 * An annotator's trust score in [0, 1]:
 *
 *   quality = 0.5 · goldAccuracy + 0.3 · peerAgreement + 0.2 · (1 − skipRate)
 *   score   = (volume · quality + k · prior) / (volume + k),   prior = 0.5, k = 20
 *
 * A missing (null) input counts as the neutral prior 0.5 in its term. The second line is the usual
 * pseudo-count shrinkage (a beta-binomial posterior mean with k prior observations): with no work
 * the score is the prior, after k annotations it is halfway to `quality`. Gold weighs most because
 * it is the only term checked against a known answer; peer agreement can reward agreeing on a
 * shared mistake. Every term has a non-negative coefficient, so the score cannot fall when gold
 * accuracy or peer agreement rises, nor rise with the skip rate.
 */

export const trustWeights = { goldAccuracy: 0.5, peerAgreement: 0.3, answered: 0.2 } as const;
export const trustPrior = 0.5;
/** k: the number of annotations at which observed quality and the prior weigh the same. */
export const trustPriorStrength = 20;

export type TrustInput = {
  /** Fraction of gold tasks answered correctly, in [0, 1]; null without gold tasks. */
  goldAccuracy: number | null;
  /** Agreement with other annotators of the same tasks, in [0, 1]; null without overlap. */
  peerAgreement: number | null;
  /** Fraction of assigned tasks skipped, in [0, 1]; null without assignments. */
  skipRate: number | null;
  /** Annotations the other inputs were measured on. */
  volume: number;
};

export function trustScore({ goldAccuracy, peerAgreement, skipRate, volume }: TrustInput): number {
  const gold = fraction("goldAccuracy", goldAccuracy) ?? trustPrior;
  const peer = fraction("peerAgreement", peerAgreement) ?? trustPrior;
  const skip = fraction("skipRate", skipRate);
  const answered = skip === null ? trustPrior : 1 - skip;
  if (!Number.isFinite(volume) || volume < 0) {
    throw new RangeError(`trustScore: volume must be a finite number ≥ 0, got ${volume}`);
  }

  const quality =
    trustWeights.goldAccuracy * gold + trustWeights.peerAgreement * peer + trustWeights.answered * answered;
  const score = (volume * quality + trustPriorStrength * trustPrior) / (volume + trustPriorStrength);
  // Rounding in the weighted sums can land a hair outside [0, 1].
  return Math.min(1, Math.max(0, score));
}

function fraction(name: string, value: number | null): number | null {
  if (value === null) return null;
  if (!(value >= 0 && value <= 1)) throw new RangeError(`trustScore: ${name} must be in [0, 1], got ${value}`);
  return value;
}
