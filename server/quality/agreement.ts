/**
 * Pairwise preference agreement between annotators who ranked the same task.
 *
 * For every pair of annotators and every pair of responses both of them ranked, each annotator's
 * judgement is one of "x better", "y better" or "tie". The two agree when the judgements are the
 * same: both prefer the same response, or both tie the pair. A tie against a strict preference is
 * a disagreement. agreement = agreements / comparisons, null when there is nothing to compare.
 */

/** Response id → rank group index, 0 = best; equal indices are a tie. `rankOf` in
 *  server/annotation/ranking.ts builds one from a stored ranking. */
export type ResponseRanks = ReadonlyMap<string, number>;

export type AgreementCount = { agreement: number | null; agreements: number; comparisons: number };

export type AnnotatorRanks = { annotatorId: string; ranks: ResponseRanks };

/** Agreement among all annotators of one task. */
export function pairwisePreferenceAgreement(rankings: readonly ResponseRanks[]): AgreementCount {
  let agreements = 0;
  let comparisons = 0;
  for (let i = 0; i < rankings.length; i++) {
    for (let j = i + 1; j < rankings.length; j++) {
      const count = compareRankings(rankings[i]!, rankings[j]!);
      agreements += count.agreements;
      comparisons += count.comparisons;
    }
  }
  return withRate(agreements, comparisons);
}

/** Pooled over a project's tasks (each task: the rankings of its annotators), so a task weighs in
 *  proportion to its comparisons. `tasks` counts the tasks that gave at least one comparison. */
export function projectPreferenceAgreement(tasks: readonly (readonly ResponseRanks[])[]): AgreementCount & { tasks: number } {
  let agreements = 0;
  let comparisons = 0;
  let compared = 0;
  for (const rankings of tasks) {
    const count = pairwisePreferenceAgreement(rankings);
    agreements += count.agreements;
    comparisons += count.comparisons;
    if (count.comparisons > 0) compared += 1;
  }
  return { ...withRate(agreements, comparisons), tasks: compared };
}

/** Each annotator's agreement with the others who ranked the same tasks, pooled over tasks.
 *  Two rankings under one annotator id in a task are not compared with each other. */
export function peerAgreementByAnnotator(tasks: readonly (readonly AnnotatorRanks[])[]): Map<string, AgreementCount> {
  const totals = new Map<string, { agreements: number; comparisons: number }>();
  const add = (annotatorId: string, count: { agreements: number; comparisons: number }) => {
    const total = totals.get(annotatorId) ?? { agreements: 0, comparisons: 0 };
    total.agreements += count.agreements;
    total.comparisons += count.comparisons;
    totals.set(annotatorId, total);
  };
  for (const rankings of tasks) {
    for (let i = 0; i < rankings.length; i++) {
      for (let j = i + 1; j < rankings.length; j++) {
        const [a, b] = [rankings[i]!, rankings[j]!];
        if (a.annotatorId === b.annotatorId) continue;
        const count = compareRankings(a.ranks, b.ranks);
        add(a.annotatorId, count);
        add(b.annotatorId, count);
      }
    }
  }
  return new Map([...totals].map(([id, t]) => [id, withRate(t.agreements, t.comparisons)]));
}

function compareRankings(a: ResponseRanks, b: ResponseRanks): { agreements: number; comparisons: number } {
  const shared = [...a.keys()].filter((id) => b.has(id));
  let agreements = 0;
  let comparisons = 0;
  for (let i = 0; i < shared.length; i++) {
    for (let j = i + 1; j < shared.length; j++) {
      const [x, y] = [shared[i]!, shared[j]!];
      comparisons += 1;
      if (order(a, x, y) === order(b, x, y)) agreements += 1;
    }
  }
  return { agreements, comparisons };
}

/** −1: x better, 1: y better, 0: tie. */
function order(ranks: ResponseRanks, x: string, y: string): number {
  return Math.sign(ranks.get(x)! - ranks.get(y)!);
}

export function withRate(agreements: number, comparisons: number): AgreementCount {
  return { agreement: comparisons === 0 ? null : agreements / comparisons, agreements, comparisons };
}
