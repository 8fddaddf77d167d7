// Bradley–Terry merge: fit one strength per response from every pairwise outcome of the task's
// annotations, rank by strength, and state each margin as how much more likely the better
// response is to win. Unlike the majority merge it uses how often, not just whether, a response won.
import { strengthMargin, strengths as strengthOrder, type Strength } from "../../annotation/ranking";
import type { ExportTask } from "../types";
import { groupSorted, ranksOf, responseIdsOf, type MergedJudgement } from "./ballots";
import { mergeLabels } from "./labels";

/** One comparison of a and b: score 1 when a won, 0 when b won, 1/2 for a tie. */
export type PairOutcome = { a: string; b: string; score: number };

export type BradleyTerryOptions = {
  /** Virtual ties added between every two items: keeps the fit finite when one item wins
   *  everything (the plain MLE would send its strength to infinity). Must be > 0. */
  priorTies?: number;
  /** Stop once no log-strength moves by more than this in one iteration. */
  tolerance?: number;
  /** MM converges linearly, slowly when the data separate items sharply (some 60,000 iterations,
   *  50 ms, for 1,000 identical rankings of 8); past the cap the last iterate is returned with
   *  converged false. */
  maxIterations?: number;
};

export type BradleyTerryFit = {
  /** id → strength π, scaled so the strengths' geometric mean is 1; P(i beats j) = πi / (πi + πj). */
  strengths: Map<string, number>;
  iterations: number;
  converged: boolean;
};

/** Log-strengths closer than this are the same strength: the merged ranking ties them. */
export const bradleyTerryTieTolerance = 1e-9;

/**
 * Maximum-likelihood Bradley–Terry strengths by Hunter's (2004) MM algorithm:
 *   πi ← Wi / Σj nij / (πi + πj)
 * where Wi counts i's wins (a tie is half a win to each side) and nij the comparisons of i and j,
 * both including the prior's virtual ties. All strengths update together from the previous
 * iterate, so items the data treat alike stay exactly alike. Outcomes naming an unknown id, or an
 * item against itself, are ignored.
 */
export function fitBradleyTerry(ids: readonly string[], outcomes: readonly PairOutcome[], options: BradleyTerryOptions = {}): BradleyTerryFit {
  const { priorTies = 1, tolerance = 1e-12, maxIterations = 100_000 } = options;
  if (!(priorTies > 0)) throw new RangeError(`priorTies must be > 0, got ${priorTies}`);
  const k = ids.length;
  const index = new Map(ids.map((id, i) => [id, i]));
  const wins = new Float64Array(k).fill((priorTies / 2) * (k - 1));
  const n = Array.from({ length: k }, (_, i) => new Float64Array(k).fill(priorTies).fill(0, i, i + 1));
  for (const { a, b, score } of outcomes) {
    const [i, j] = [index.get(a), index.get(b)];
    if (i === undefined || j === undefined || i === j) continue;
    wins[i]! += score;
    wins[j]! += 1 - score;
    n[i]![j]! += 1;
    n[j]![i]! += 1;
  }

  let pi = new Float64Array(k).fill(1);
  let iterations = 0;
  let converged = k <= 1;
  while (!converged && iterations < maxIterations) {
    iterations += 1;
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let denominator = 0;
      for (let j = 0; j < k; j++) if (j !== i) denominator += n[i]![j]! / (pi[i]! + pi[j]!);
      next[i] = wins[i]! / denominator;
    }
    // Only ratios are identified: rescale to a geometric mean of 1 so the iterates stay comparable.
    const logMean = next.reduce((sum, p) => sum + Math.log(p), 0) / k;
    let moved = 0;
    for (let i = 0; i < k; i++) {
      next[i] = Math.exp(Math.log(next[i]!) - logMean);
      moved = Math.max(moved, Math.abs(Math.log(next[i]!) - Math.log(pi[i]!)));
    }
    pi = next;
    converged = moved < tolerance;
  }
  return { strengths: new Map(ids.map((id, i) => [id, pi[i]!])), iterations, converged };
}

/** Every pair of responses both ranked, in every annotation: the input to fitBradleyTerry. */
export function pairOutcomes(task: Pick<ExportTask, "responses" | "annotations">): PairOutcome[] {
  const ids = responseIdsOf(task);
  const outcomes: PairOutcome[] = [];
  for (const annotation of task.annotations) {
    const ranks = ranksOf(annotation);
    ids.forEach((a, i) => {
      for (const b of ids.slice(i + 1)) {
        const [ra, rb] = [ranks.get(a), ranks.get(b)];
        if (ra === undefined || rb === undefined) continue;
        outcomes.push({ a, b, score: ra < rb ? 1 : ra > rb ? 0 : 0.5 });
      }
    });
  }
  return outcomes;
}

/** P(chosen beats rejected) − P(rejected beats chosen) = (πc − πr) / (πc + πr), in [0, 1) when
 *  the chosen one is the stronger. */
export function bradleyTerryMargin(chosen: number, rejected: number): number {
  return (chosen - rejected) / (chosen + rejected);
}

/** The strength whose Llama 2 margin (0, 1/3, 2/3, 1) is nearest; a margin exactly halfway goes
 *  to the weaker one. */
export function strengthFromMargin(margin: number): Strength {
  let best: Strength = "negligible";
  for (const s of strengthOrder) {
    if (Math.abs(margin - strengthMargin[s]) < Math.abs(margin - strengthMargin[best])) best = s;
  }
  return best;
}

/**
 * Ranks the task's responses by fitted strength (ties within bradleyTerryTieTolerance on the log
 * scale; a tie keeps the task's response order). Margins cover every pair across groups; the
 * strength between neighbouring groups is strengthFromMargin of their margin. Safety labels are
 * merged one vote per annotation, as in the majority merge. Null for a task without annotations.
 */
export function mergeBradleyTerry(task: Pick<ExportTask, "responses" | "annotations">, options: BradleyTerryOptions = {}): MergedJudgement | null {
  if (!task.annotations.length) return null;
  const ids = responseIdsOf(task);
  const { strengths: pi } = fitBradleyTerry(ids, pairOutcomes(task), options);
  const theta = new Map(ids.map((id) => [id, Math.log(pi.get(id)!)]));

  const sorted = [...ids].sort((a, b) => theta.get(b)! - theta.get(a)!);
  const groups = groupSorted(sorted, (head, id) => theta.get(head)! - theta.get(id)! <= bradleyTerryTieTolerance);

  const margins: Record<string, number> = {};
  groups.forEach((upper, g) => {
    for (const lower of groups.slice(g + 1)) {
      for (const c of upper) for (const r of lower) margins[`${c}>${r}`] = bradleyTerryMargin(pi.get(c)!, pi.get(r)!);
    }
  });
  const strengths = groups.slice(1).map((lower, g) => strengthFromMargin(bradleyTerryMargin(pi.get(groups[g]![0]!)!, pi.get(lower[0]!)!)));

  return {
    ranking: groups,
    strengths,
    margins,
    ...mergeLabels(
      task.annotations.map((annotation) => ({ annotation, weight: 1 })),
      ids,
    ),
    counted: task.annotations,
  };
}
