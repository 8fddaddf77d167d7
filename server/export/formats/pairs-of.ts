import { isStrength, strengthMargin, strengths, type Strength } from "../../annotation/ranking";
import type { ExportJudgement } from "../types";

export type JudgementPair = { chosen: string; rejected: string; margin: number; strength: Strength | "imported"; chosenRank: number; rejectedRank: number };

/**
 * Every ordered pair of responses in different rank groups, better first (ties give none), in a
 * fixed order. The margin is the one stored with the preference pair when there is one, else the
 * steps' margins added as derivePairs does (capped at 1); judgements from preference files have
 * no steps and count as 1.
 */
export function pairsOf(j: Pick<ExportJudgement, "ranking" | "strengths" | "margins">): JudgementPair[] {
  const out: JudgementPair[] = [];
  const { ranking: groups } = j;
  for (let i = 0; i < groups.length; i++) {
    let sum = 0;
    let strongest = -1;
    let imported = false;
    for (let k = i + 1; k < groups.length; k++) {
      const step = j.strengths[k - 1];
      if (isStrength(step)) {
        sum += strengthMargin[step];
        strongest = Math.max(strongest, strengths.indexOf(step));
      } else {
        imported = true;
        sum = 1;
      }
      const strength: Strength | "imported" = imported || strongest < 0 ? "imported" : strengths[strongest]!;
      for (const chosen of groups[i]!) {
        for (const rejected of groups[k]!) {
          const stored = j.margins[`${chosen}>${rejected}`];
          out.push({ chosen, rejected, margin: stored ?? Math.min(1, sum), strength, chosenRank: i, rejectedRank: k });
        }
      }
    }
  }
  return out;
}
