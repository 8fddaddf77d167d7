/**
 * Position bias: how often the response shown first (left) wins, against the rate expected if
 * position did not matter, with a Wilson score interval (Wilson 1927; Agresti & Coull 1998):
 *
 *   p̂ = wins / n,   centre = (p̂ + z²/2n) / (1 + z²/n),
 *   half-width = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²),   z = 1.959964 for 95%.
 *
 * Wilson rather than the normal (Wald) interval because it stays inside [0, 1] and keeps its
 * coverage for small n and rates near 0 or 1.
 */

/** Φ⁻¹(0.975): the two-sided 95% normal quantile. */
export const z95 = 1.959963984540054;

export type Interval = { lower: number; upper: number };

export type PositionBiasInput = {
  /** Decisive comparisons the first-shown response won. */
  firstWins: number;
  /** Comparisons with a winner (ties and "both bad" left out). */
  decisive: number;
  /** Win rate of the first-shown response without bias: 0.5 for pairs, firstPlaceChance(k) for k. */
  chance?: number;
};

export type PositionBias = Interval & {
  /** firstWins / decisive; null without decisive comparisons. */
  rate: number | null;
  chance: number;
  decisive: number;
  /** The chance rate lies outside the 95% interval. */
  biased: boolean;
};

/** Chance that the first of k shown responses is ranked best when position has no effect. */
export function firstPlaceChance(k: number): number {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`firstPlaceChance: k must be an integer ≥ 2, got ${k}`);
  return 1 / k;
}

/** Wilson score interval for `successes` out of `trials`; [0, 1] when there are no trials. */
export function wilsonInterval(successes: number, trials: number, z: number = z95): Interval {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`wilsonInterval: need integers 0 ≤ successes ≤ trials, got ${successes} of ${trials}`);
  }
  if (trials === 0) return { lower: 0, upper: 1 };
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

export function positionBias({ firstWins, decisive, chance = 0.5 }: PositionBiasInput): PositionBias {
  if (!(chance > 0 && chance < 1)) throw new RangeError(`positionBias: chance must be in (0, 1), got ${chance}`);
  const interval = wilsonInterval(firstWins, decisive);
  return {
    rate: decisive === 0 ? null : firstWins / decisive,
    ...interval,
    chance,
    decisive,
    biased: chance < interval.lower || chance > interval.upper,
  };
}
