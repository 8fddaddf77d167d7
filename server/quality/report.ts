// Loads a project's annotations once and turns them into the numbers reviewers trust the data by:
// agreement, gold accuracy, the annotator table, the disagreement queue and position bias.
import { rankOf, type Ranking } from "../annotation/ranking";
import type { Db } from "../db";
import { AppError } from "../errors";
import { pairwisePreferenceAgreement, peerAgreementByAnnotator, projectPreferenceAgreement, type AnnotatorRanks, type ResponseRanks } from "./agreement";
import { promptPolicyUnits, rankingUnits, rubricGradeUnits, type SafetyLabels } from "./alpha-units";
import { kendallTau } from "./kendall";
import { krippendorffAlpha } from "./krippendorff";
import { firstPlaceChance, positionBias } from "./position-bias";
import { trustScore } from "./trust-score";

type Row = {
  id: string;
  taskId: string;
  annotatorId: string | null;
  ranking: string[][];
  strengths: string[];
  promptPolicy: string | null;
  harmCategory: string | null;
  rubric: Record<string, string>;
  shownOrder: string[];
  timeSpentMs: number | null;
  isGold: boolean;
  goldAnswer: GoldAnswer | null;
};

export type GoldAnswer = { ranking: string[][]; promptPolicy?: string | null };

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Rows grouped by a key, in their order (Map.groupBy needs Node 21). */
export function groupBy<T>(rows: readonly T[], key: (row: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function ranksOf(groups: string[][]): ResponseRanks {
  return rankOf({ groups, strengths: [] } as unknown as Ranking);
}

/** How well one annotation matches a gold answer: the share of response pairs ordered as expected,
 *  and, when the answer names a prompt policy, whether it matches (each counts half). */
export function goldScore(annotation: { ranking: string[][]; promptPolicy: string | null }, gold: GoldAnswer): number {
  const order = pairwisePreferenceAgreement([ranksOf(annotation.ranking), ranksOf(gold.ranking)]).agreement ?? 0;
  if (!gold.promptPolicy) return order;
  return (order + (annotation.promptPolicy === gold.promptPolicy ? 1 : 0)) / 2;
}

/** Whether the response shown first came out alone at the top: one decisive trial of position bias. */
function firstShownWon(row: Row): boolean | null {
  const top = row.ranking[0];
  if (!top || top.length !== 1 || !row.shownOrder.length) return null;
  return top[0] === row.shownOrder[0];
}

export async function projectQuality(db: Db, projectId: string) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true, k: true, goldThreshold: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const rows = await db.$queryRaw<Row[]>`
    SELECT n.id, n."taskId", n."annotatorId", n.ranking, n.strengths, n."promptPolicy"::text AS "promptPolicy", n."harmCategory",
           n.rubric, n."shownOrder", n."timeSpentMs", t."isGold", t."goldAnswer"
    FROM annotation n JOIN task t ON t.id = n."taskId"
    WHERE t."projectId" = ${projectId} AND n."reviewState" <> 'rejected'
    ORDER BY n."taskId", n."createdAt"`;
  const assignmentStats = await db.$queryRaw<{ annotatorId: string; name: string; submitted: bigint; skipped: bigint; rejected: bigint }[]>`
    SELECT a."annotatorId", u.name,
      count(*) FILTER (WHERE a.state = 'submitted') AS submitted,
      count(*) FILTER (WHERE a.state = 'skipped') AS skipped,
      (SELECT count(*) FROM annotation n JOIN task t2 ON t2.id = n."taskId"
        WHERE n."annotatorId" = a."annotatorId" AND t2."projectId" = ${projectId} AND n."reviewState" = 'rejected') AS rejected
    FROM assignment a JOIN task t ON t.id = a."taskId" JOIN "user" u ON u.id = a."annotatorId"
    WHERE t."projectId" = ${projectId}
    GROUP BY a."annotatorId", u.name`;

  const byTask = groupBy(rows, (r) => r.taskId);
  const multi = [...byTask.values()].filter((rs) => rs.length >= 2);

  // Agreement across annotators on every multiply-labelled task.
  const rankings = multi.map((rs) => rs.map((r) => ranksOf(r.ranking)));
  const taus: number[] = [];
  for (const rs of rankings) {
    const ids = [...rs[0]!.keys()].sort();
    for (let i = 0; i < rs.length; i++)
      for (let j = i + 1; j < rs.length; j++) {
        const tau = kendallTau(ids.map((id) => rs[i]!.get(id) ?? 0), ids.map((id) => rs[j]!.get(id) ?? 0));
        if (tau !== null) taus.push(tau);
      }
  }
  const safety: SafetyLabels[][] = multi.map((rs) => rs.map((r) => ({ promptPolicy: r.promptPolicy, rubric: r.rubric })));
  const agreement = {
    multiplyLabelledTasks: multi.length,
    pairwise: projectPreferenceAgreement(rankings),
    meanKendallTau: mean(taus),
    rankingAlpha: krippendorffAlpha(rankingUnits(rankings), "ordinal"),
    promptPolicyAlpha: krippendorffAlpha(promptPolicyUnits(safety), "nominal"),
    harmCategoryAlpha: krippendorffAlpha(multi.map((rs) => rs.map((r) => (r.promptPolicy === "allowed" ? null : r.harmCategory))), "nominal"),
    rubricAlpha: krippendorffAlpha(rubricGradeUnits(safety), "nominal"),
  };

  // Per annotator.
  const peer = peerAgreementByAnnotator(
    multi.map((rs) => rs.filter((r) => r.annotatorId).map((r): AnnotatorRanks => ({ annotatorId: r.annotatorId!, ranks: ranksOf(r.ranking) }))),
  );
  const perAnnotator = groupBy(rows, (r) => r.annotatorId);
  const chance = firstPlaceChance(project.k);
  const bias = (rs: Row[]) => {
    const trials = rs.map(firstShownWon).filter((w): w is boolean => w !== null);
    return positionBias({ firstWins: trials.filter(Boolean).length, decisive: trials.length, chance });
  };
  const annotators = assignmentStats.map((s) => {
    const own = perAnnotator.get(s.annotatorId) ?? [];
    const gold = own.filter((r) => r.isGold && r.goldAnswer).map((r) => goldScore(r, r.goldAnswer!));
    const finished = Number(s.submitted) + Number(s.skipped);
    const skipRate = finished ? Number(s.skipped) / finished : null;
    const goldAccuracy = mean(gold);
    const peerAgreement = peer.get(s.annotatorId)?.agreement ?? null;
    return {
      annotatorId: s.annotatorId,
      name: s.name,
      volume: own.length,
      rejected: Number(s.rejected),
      medianTimeMs: median(own.map((r) => r.timeSpentMs).filter((t): t is number => t !== null)),
      peerAgreement,
      peerComparisons: peer.get(s.annotatorId)?.comparisons ?? 0,
      goldAccuracy,
      goldItems: gold.length,
      skipRate,
      trust: trustScore({ goldAccuracy, peerAgreement, skipRate, volume: own.length }),
      flagged: goldAccuracy !== null && goldAccuracy < project.goldThreshold,
      positionBias: bias(own),
    };
  });

  // Tasks whose annotators disagree most, for adjudication.
  const disagreements = multi
    .map((rs) => {
      const a = pairwisePreferenceAgreement(rs.map((r) => ranksOf(r.ranking)));
      const policies = new Set(rs.map((r) => r.promptPolicy));
      return { taskId: rs[0]!.taskId, annotations: rs.length, agreement: a.agreement, policyConflict: policies.size > 1 };
    })
    .sort((x, y) => (x.agreement ?? 1) - (y.agreement ?? 1) || Number(y.policyConflict) - Number(x.policyConflict))
    .filter((d) => (d.agreement ?? 1) < 1 || d.policyConflict)
    .slice(0, 100);

  return { projectId, goldThreshold: project.goldThreshold, agreement, annotators, disagreements, positionBias: bias(rows) };
}
