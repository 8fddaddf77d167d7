// How well one annotation matches a task's gold answer.
import { rankOf, type Ranking } from "../annotation/ranking";
import { pairwisePreferenceAgreement, type ResponseRanks } from "./agreement";

export type GoldAnswer = { ranking: string[][]; promptPolicy?: string | null };

/** Response id → rank group index of a stored ranking (best first, a group of several is a tie). */
export function ranksOf(groups: string[][]): ResponseRanks {
  return rankOf({ groups, strengths: [] } as unknown as Ranking);
}

/** The share of response pairs ordered as the gold answer orders them, and, when the answer
 *  names a prompt policy, whether it matches (each counts half). */
export function goldScore(annotation: { ranking: string[][]; promptPolicy: string | null }, gold: GoldAnswer): number {
  const order = pairwisePreferenceAgreement([ranksOf(annotation.ranking), ranksOf(gold.ranking)]).agreement ?? 0;
  if (!gold.promptPolicy) return order;
  return (order + (annotation.promptPolicy === gold.promptPolicy ? 1 : 0)) / 2;
}
