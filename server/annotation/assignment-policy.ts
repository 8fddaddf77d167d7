// Pure choices behind handing out tasks: which pool a request draws from, and the order
// responses are shown in. Randomness is injected so tests can pin it.

export type Rng = () => number;

export type Pool = "gold" | "regular";

/**
 * Gold items are mixed in at the project's rate; when the chosen pool has nothing left for this
 * annotator, the other pool is tried, so the rate never blocks work.
 */
export function poolOrder(goldRate: number, rng: Rng): Pool[] {
  const rate = Math.min(1, Math.max(0, goldRate));
  return rate > 0 && rng() < rate ? ["gold", "regular"] : ["regular", "gold"];
}

/** Fisher–Yates shuffle: every order equally likely, so position bias can be measured. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function leaseExpiry(now: Date, leaseMinutes: number): Date {
  return new Date(now.getTime() + leaseMinutes * 60_000);
}
