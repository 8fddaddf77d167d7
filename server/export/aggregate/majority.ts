// Majority merge: a (weighted) vote on every pair of responses, then a Copeland ranking of the
// pairwise winners. Copeland rather than, say, Borda because it only uses the pairwise verdicts,
// and a Condorcet cycle comes out as an honest tie instead of an arbitrary order.
import type { Strength } from "../../annotation/ranking";
import type { ExportTask } from "../types";
import { groupSorted, marginsOf, ranksOf, responseIdsOf, weightEpsilon, type Ballot, type MergedJudgement } from "./ballots";
import { mergeLabels } from "./labels";

/** Weight of the votes on one pair (x, y): for x, for y, and for "equal". */
type Tally = { x: number; y: number; tie: number };

/**
 * Strength between neighbouring merged groups from the share of the vote, pooled over every pair
 * across the two groups, that put the upper group first (tie votes and contrary votes count
 * against it):
 *   unanimous (no vote against or tied) → strong; ≥ 3/4 → clear; > 1/2 → slight; else negligible.
 * The annotators' own strengths are not used: the record states how sure the crowd was.
 */
export function strengthFromShare(share: number, unanimous: boolean): Strength {
  if (unanimous) return "strong";
  if (share >= 3 / 4 - weightEpsilon) return "clear";
  if (share > 1 / 2 + weightEpsilon) return "slight";
  return "negligible";
}

/**
 * The pairwise verdict: the option (x better, y better, tie) with strictly the most weight. When
 * the most weight is shared (one vote each way, or a preference level with tie votes) there is no
 * majority and the pair is a tie.
 */
function verdict(t: Tally): -1 | 0 | 1 {
  if (t.x > Math.max(t.y, t.tie) + weightEpsilon) return -1;
  if (t.y > Math.max(t.x, t.tie) + weightEpsilon) return 1;
  return 0;
}

/**
 * Merges by vote. Ballots of weight 0 do not count at all (not in the votes, not in the labels, not
 * in the merge's annotation count). Null when no ballot counts: there is nothing to merge.
 * Responses are those of the task; an annotation that left one out abstains on its pairs.
 */
export function mergeByVote(task: Pick<ExportTask, "responses">, ballots: readonly Ballot[]): MergedJudgement | null {
  const counted = ballots.filter((b) => b.weight > 0);
  if (!counted.length) return null;
  const ids = responseIdsOf(task);
  const ranks = counted.map((b) => ({ ranks: ranksOf(b.annotation), weight: b.weight }));

  const tallies = new Map<string, Tally>();
  const score = new Map(ids.map((id) => [id, 0]));
  ids.forEach((x, i) => {
    for (const y of ids.slice(i + 1)) {
      const t: Tally = { x: 0, y: 0, tie: 0 };
      for (const { ranks: r, weight } of ranks) {
        const [rx, ry] = [r.get(x), r.get(y)];
        if (rx === undefined || ry === undefined) continue;
        if (rx < ry) t.x += weight;
        else if (ry < rx) t.y += weight;
        else t.tie += weight;
      }
      tallies.set(pairKey(x, y), t);
      const v = verdict(t);
      score.set(x, score.get(x)! - v);
      score.set(y, score.get(y)! + v);
    }
  });

  // Array.prototype.sort is stable: equal Copeland scores keep the task's response order.
  const sorted = [...ids].sort((a, b) => score.get(b)! - score.get(a)!);
  const groups = groupSorted(sorted, (head, id) => score.get(head) === score.get(id));

  const position = new Map(ids.map((id, i) => [id, i]));
  const strengths = groups.slice(1).map((lower, g) => {
    let forUpper = 0;
    let otherwise = 0;
    for (const u of groups[g]!) {
      for (const l of lower) {
        const flipped = position.get(u)! > position.get(l)!;
        const t = tallies.get(flipped ? pairKey(l, u) : pairKey(u, l))!;
        forUpper += flipped ? t.y : t.x;
        otherwise += (flipped ? t.x : t.y) + t.tie;
      }
    }
    const total = forUpper + otherwise;
    return strengthFromShare(total > 0 ? forUpper / total : 0, forUpper > 0 && otherwise === 0);
  });

  return {
    ranking: groups,
    strengths,
    margins: marginsOf({ groups, strengths }),
    ...mergeLabels(counted, ids),
    counted: counted.map((b) => b.annotation),
  };
}

/** One vote per annotation. */
export function mergeMajority(task: Pick<ExportTask, "responses" | "annotations">): MergedJudgement | null {
  return mergeByVote(
    task,
    task.annotations.map((annotation) => ({ annotation, weight: 1 })),
  );
}

const pairKey = (x: string, y: string) => `${x}\u0000${y}`;
