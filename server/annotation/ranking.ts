/** Ordered weakest to strongest: the index order is used to pick "the strongest along the way". */
export const strengths = ["negligible", "slight", "clear", "strong"] as const;
export type Strength = (typeof strengths)[number];

/** Llama 2 margin table: strong 1, clear 2/3, slight 1/3, negligible 0. */
export const strengthMargin: Record<Strength, number> = {
  negligible: 0,
  slight: 1 / 3,
  clear: 2 / 3,
  strong: 1,
};

/** groups: best first; each group lists response ids judged equal (a tie when it has 2+ ids).
 *  strengths[i] is the preference between groups[i] and groups[i+1]; length = groups.length - 1. */
export type Ranking = { groups: string[][]; strengths: Strength[] };

/** A step's strength; "imported" for a step that came from a preference file without one. */
export type PairStrength = Strength | "imported";

export type DerivedPair = {
  chosenId: string;
  rejectedId: string;
  margin: number;
  /** The strongest step between the two groups; "imported" when any step between them is. */
  strength: PairStrength;
  chosenRank: number;
  rejectedRank: number;
};

export function isStrength(value: unknown): value is Strength {
  return typeof value === "string" && (strengths as readonly string[]).includes(value);
}

function stepAt(steps: readonly PairStrength[], groups: number, i: number): PairStrength {
  const s = steps[i];
  if (s === undefined) {
    throw new Error(`ranking has ${groups} groups but no strength between groups ${i + 1} and ${i + 2}`);
  }
  return s;
}

/**
 * The one definition of the preference pairs of a ranking, used on submit, on correction, in every
 * export format and (through the `pairs` of rankings records) by the trainer.
 *
 * Every ordered pair of ids in different groups, better first, in a fixed order. Ties give no pair:
 * a Bradley–Terry loss has nothing to learn from "equal". A gap across several groups adds the
 * steps' margins (capped at 1, the largest margin the table allows) so a distant pair never gets a
 * smaller margin than a nearer one. A step from a preference file ("imported") counts as 1, unless
 * the file gave the pair its own margin: `storedMargins["chosen>rejected"]` wins when present.
 */
export function derivePairs(
  ranking: { groups: string[][]; strengths: readonly PairStrength[] },
  storedMargins: Readonly<Record<string, number>> = {},
): DerivedPair[] {
  const { groups } = ranking;
  const pairs: DerivedPair[] = [];
  for (let i = 0; i < groups.length; i++) {
    let sum = 0;
    let strongest = -1;
    let imported = false;
    for (let j = i + 1; j < groups.length; j++) {
      const step = stepAt(ranking.strengths, groups.length, j - 1);
      if (!isStrength(step)) {
        imported = true;
        sum = 1;
      } else {
        sum += strengthMargin[step];
        strongest = Math.max(strongest, strengths.indexOf(step));
      }
      const strength: PairStrength = imported ? "imported" : (strengths[strongest] as Strength);
      for (const chosenId of groups[i] ?? []) {
        for (const rejectedId of groups[j] ?? []) {
          const margin = storedMargins[`${chosenId}>${rejectedId}`] ?? Math.min(1, sum);
          pairs.push({ chosenId, rejectedId, margin, strength, chosenRank: i, rejectedRank: j });
        }
      }
    }
  }
  return pairs;
}

/** A pair as the preference_pair table and the export formats name its fields. */
export type ChosenRejected = { chosen: string; rejected: string; margin: number; strength: PairStrength; chosenRank: number; rejectedRank: number };

export function chosenRejected(p: DerivedPair): ChosenRejected {
  return { chosen: p.chosenId, rejected: p.rejectedId, margin: p.margin, strength: p.strength, chosenRank: p.chosenRank, rejectedRank: p.rejectedRank };
}

/** Response id → group index (0 = best); ids in one tie share a rank. */
export function rankOf(ranking: Ranking): Map<string, number> {
  const ranks = new Map<string, number>();
  ranking.groups.forEach((group, rank) => {
    for (const id of group) ranks.set(id, rank);
  });
  return ranks;
}

/** Number of pairs derivePairs yields, without building them: (n² − Σ|g|²) / 2. */
export function pairCount(ranking: Ranking): number {
  let n = 0;
  let sumSquares = 0;
  for (const group of ranking.groups) {
    n += group.length;
    sumSquares += group.length * group.length;
  }
  return (n * n - sumSquares) / 2;
}

export type PairwiseVerdict = "a_better" | "b_better" | "tie" | "both_bad";
export const pairwiseVerdicts = ["a_better", "b_better", "tie", "both_bad"] as const satisfies readonly PairwiseVerdict[];

/**
 * Arena mode stores its verdict as an ordinary ranking so one code path derives pairs.
 * "both_bad" is a tie on purpose: preferring one of two bad answers would teach noise.
 */
export function rankingFromVerdict(aId: string, bId: string, verdict: PairwiseVerdict, strength: Strength): Ranking {
  switch (verdict) {
    case "a_better":
      return { groups: [[aId], [bId]], strengths: [strength] };
    case "b_better":
      return { groups: [[bId], [aId]], strengths: [strength] };
    case "tie":
    case "both_bad":
      return { groups: [[aId, bId]], strengths: [] };
  }
}
