import { chosenRejected, derivePairs, type ChosenRejected } from "../../annotation/ranking";
import type { ExportJudgement } from "../types";

export type JudgementPair = ChosenRejected;

/**
 * A judgement's preference pairs, as derivePairs defines them. Judgements from preference files may
 * carry no strengths: their steps count as "imported", and their pairs keep the stored margins.
 */
export function pairsOf(j: Pick<ExportJudgement, "ranking" | "strengths" | "margins">): JudgementPair[] {
  const steps = j.ranking.slice(1).map((_, i) => j.strengths[i] ?? "imported");
  return derivePairs({ groups: j.ranking, strengths: steps }, j.margins).map(chosenRejected);
}
