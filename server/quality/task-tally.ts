/**
 * One task's contribution to its project's quality report, as integer counts under JSON-array
 * keys. Every figure of the report except the median time is a function of the sum of its tasks'
 * tallies, so a project keeps one running total and swaps a changed task's tally in and out
 * without reading the others. Counts rather than partial float sums keep that swap exact: the
 * total after any number of changes is the one computed from scratch.
 *
 *   ["tasks"], ["agreements"], ["comparisons"], ["compared"]   multiply-labelled tasks, pairwise
 *   ["tau", τ]                       annotator pairs whose Kendall tau-b is τ
 *   ["units", metric]                pairable alpha units
 *   ["pairs", metric, c, k, m − 1]   ordered c–k value pairs in units of m values
 *   ["firstWins"], ["decisive"]      position-bias trials of every annotation
 *   ["gold", annotatorId, score]     gold annotations with that score
 *   ["@", annotatorId]               that annotator's counts, a vector (see `annotatorFields`)
 *   ["review", state]                annotations in that review state, rejected ones included
 *   ["policy", promptPolicy]         annotations (not rejected) choosing that policy, or null
 *   ["rubric", model, grade]         rubric grades (not rejected) of responses from that model
 *
 * The last three are the project dashboard's (`campaignOfTally`).
 */
import { pairwisePreferenceAgreement, peerAgreementByAnnotator, withRate, type AgreementCount, type ResponseRanks } from "./agreement";
import { promptPolicyUnits, rankingUnits, rubricGradeUnits, type SafetyLabels } from "./alpha-units";
import { goldScore, ranksOf, type GoldAnswer } from "./gold-score";
import { kendallTau } from "./kendall";
import { alphaOfCoincidences, forEachPairableUnit, pairsInUnit, type AlphaResult, type Coincidences, type MeasurementLevel, type Unit, type Value } from "./krippendorff";

export type Tally = Record<string, number | number[]>;

/** The positions of an annotator's counts in its ["@", annotatorId] vector. */
export const annotatorFields = ["assigned", "submitted", "skipped", "volume", "rejected", "firstWins", "decisive", "timed", "peerAgreements", "peerComparisons"] as const;
type AnnotatorField = (typeof annotatorFields)[number];
export type AnnotatorCounts = Record<AnnotatorField, number>;

/** An ["@", annotatorId] vector as named counts. */
const annotatorCountsOf = (vector: readonly number[]): AnnotatorCounts => Object.fromEntries(annotatorFields.map((f, i) => [f, vector[i] ?? 0])) as AnnotatorCounts;

export type TaskAnnotation = {
  annotatorId: string | null;
  ranking: string[][];
  promptPolicy: string | null;
  harmCategory: string | null;
  rubric: Record<string, string>;
  shownOrder: string[];
  timeSpentMs: number | null;
  reviewState: string;
};

export type TaskAssignment = { annotatorId: string; state: string };

export type TaskQuality = {
  annotations: number;
  /** Pairwise preference agreement among the task's annotators; null below two rankings. */
  agreement: number | null;
  /** The annotators chose different prompt policies. */
  policyConflict: boolean;
  tally: Tally;
};

const alphaMetrics = { ranking: "ordinal", promptPolicy: "nominal", harmCategory: "nominal", rubric: "nominal" } as const satisfies Record<string, MeasurementLevel>;
type AlphaMetric = keyof typeof alphaMetrics;

/** Kendall's tau-b of every pair of a task's rankings, over the first ranking's responses. */
export function kendallTaus(rankings: readonly ResponseRanks[]): number[] {
  const taus: number[] = [];
  const ids = rankings.length ? [...rankings[0]!.keys()].sort() : [];
  for (let i = 0; i < rankings.length; i++)
    for (let j = i + 1; j < rankings.length; j++) {
      const tau = kendallTau(ids.map((id) => rankings[i]!.get(id) ?? 0), ids.map((id) => rankings[j]!.get(id) ?? 0));
      if (tau !== null) taus.push(tau);
    }
  return taus;
}

/** A task's harm category unit: the category only counts where the policy is not "allowed". */
export function harmCategoryUnit(annotations: readonly Pick<TaskAnnotation, "promptPolicy" | "harmCategory">[]): (string | null)[] {
  return annotations.map((a) => (a.promptPolicy === "allowed" ? null : a.harmCategory));
}

/** Whether the response shown first came out alone at the top: one decisive trial of position
 *  bias, or null when the annotation is no trial. */
export function firstShownWon(a: Pick<TaskAnnotation, "ranking" | "shownOrder">): boolean | null {
  const top = a.ranking[0];
  if (!top || top.length !== 1 || !a.shownOrder.length) return null;
  return top[0] === a.shownOrder[0];
}

/** What a rubric grade is counted under when its response has no model recorded. */
export const unknownModel = "(unknown)";

/** `all`: the task's annotations, rejected ones included (only counted as rejected);
 *  `assignments`: its assignments; `gold`: its answer when it is a gold task; `responseModels`:
 *  the model of each of its responses (null when not recorded), by response id. A rubric grade for
 *  a response not in it is not counted. */
export function taskQuality(
  all: readonly TaskAnnotation[],
  assignments: readonly TaskAssignment[],
  gold: GoldAnswer | null,
  responseModels: ReadonlyMap<string, string | null> = new Map(),
): TaskQuality {
  const tally: Tally = {};
  const count = (key: readonly unknown[], n = 1) => {
    const k = JSON.stringify(key);
    if (n !== 0) tally[k] = ((tally[k] as number | undefined) ?? 0) + n;
  };
  const byAnnotator = (annotatorId: string, field: AnnotatorField, n = 1) => {
    const k = JSON.stringify(["@", annotatorId]);
    const counts = (tally[k] as number[] | undefined) ?? annotatorFields.map(() => 0);
    counts[annotatorFields.indexOf(field)]! += n;
    tally[k] = counts;
  };
  for (const s of assignments) {
    byAnnotator(s.annotatorId, "assigned");
    if (s.state === "submitted") byAnnotator(s.annotatorId, "submitted");
    if (s.state === "skipped") byAnnotator(s.annotatorId, "skipped");
  }
  for (const a of all) {
    count(["review", a.reviewState]);
    if (a.annotatorId && a.reviewState === "rejected") byAnnotator(a.annotatorId, "rejected");
  }
  const annotations = all.filter((a) => a.reviewState !== "rejected");
  for (const a of annotations) {
    count(["policy", a.promptPolicy]);
    for (const [responseId, grade] of Object.entries(a.rubric ?? {})) {
      if (responseModels.has(responseId)) count(["rubric", responseModels.get(responseId) ?? unknownModel, grade]);
    }
    const won = firstShownWon(a);
    if (won !== null) count(["decisive"]);
    if (won) count(["firstWins"]);
    if (!a.annotatorId) continue;
    byAnnotator(a.annotatorId, "volume");
    if (won !== null) byAnnotator(a.annotatorId, "decisive");
    if (won) byAnnotator(a.annotatorId, "firstWins");
    if (a.timeSpentMs !== null) byAnnotator(a.annotatorId, "timed");
    if (gold) count(["gold", a.annotatorId, goldScore(a, gold)]);
  }
  if (annotations.length < 2) return { annotations: annotations.length, agreement: null, policyConflict: false, tally };

  const rankings = annotations.map((a) => ranksOf(a.ranking));
  const pairwise = pairwisePreferenceAgreement(rankings);
  count(["tasks"]);
  count(["agreements"], pairwise.agreements);
  count(["comparisons"], pairwise.comparisons);
  if (pairwise.comparisons > 0) count(["compared"]);
  for (const tau of kendallTaus(rankings)) count(["tau", tau]);

  const safety: SafetyLabels[] = annotations.map((a) => ({ promptPolicy: a.promptPolicy, rubric: a.rubric }));
  const units: Record<AlphaMetric, Unit<Value>[]> = {
    ranking: rankingUnits([rankings]),
    promptPolicy: promptPolicyUnits([safety]),
    harmCategory: [harmCategoryUnit(annotations)],
    rubric: rubricGradeUnits([safety]),
  };
  for (const metric of Object.keys(alphaMetrics) as AlphaMetric[]) {
    forEachPairableUnit(units[metric], alphaMetrics[metric], (counts, m) => {
      count(["units", metric]);
      for (const c of counts.keys()) for (const k of counts.keys()) count(["pairs", metric, c, k, m - 1], pairsInUnit(counts, c, k));
    });
  }

  const peer = peerAgreementByAnnotator([annotations.flatMap((a, i) => (a.annotatorId ? [{ annotatorId: a.annotatorId, ranks: rankings[i]! }] : []))]);
  for (const [annotatorId, p] of peer) {
    byAnnotator(annotatorId, "peerAgreements", p.agreements);
    byAnnotator(annotatorId, "peerComparisons", p.comparisons);
  }
  return { annotations: annotations.length, agreement: pairwise.agreement, policyConflict: new Set(annotations.map((a) => a.promptPolicy)).size > 1, tally };
}

/** Adds `sign` × `change` into `total` in place, dropping counts that reach zero. */
export function addTally(total: Tally, change: Tally, sign: 1 | -1 = 1): Tally {
  for (const [key, n] of Object.entries(change)) {
    const current = total[key];
    if (Array.isArray(n)) {
      const sum = n.map((x, i) => ((current as number[] | undefined)?.[i] ?? 0) + sign * x);
      if (sum.every((x) => x === 0)) delete total[key];
      else total[key] = sum;
    } else {
      const sum = ((current as number | undefined) ?? 0) + sign * n;
      if (sum === 0) delete total[key];
      else total[key] = sum;
    }
  }
  return total;
}

export type TalliedQuality = {
  agreement: {
    multiplyLabelledTasks: number;
    pairwise: AgreementCount & { tasks: number };
    meanKendallTau: number | null;
    rankingAlpha: AlphaResult;
    promptPolicyAlpha: AlphaResult;
    harmCategoryAlpha: AlphaResult;
    rubricAlpha: AlphaResult;
  };
  /** Project-wide position-bias trials, annotations without an annotator included. */
  trials: { firstWins: number; decisive: number };
  annotators: Map<string, AnnotatorCounts & { peer: AgreementCount; gold: { accuracy: number; items: number } | null }>;
};

/** The report's figures from a project's total tally. */
export function qualityOfTally(total: Tally): TalliedQuality {
  const scalar = (name: string) => (total[JSON.stringify([name])] as number | undefined) ?? 0;
  let tauSum = 0;
  let tauCount = 0;
  const matrices = new Map<string, Coincidences & { rowSums: Map<Value, Map<number, number>> }>(
    Object.keys(alphaMetrics).map((m) => [m, { coincidences: new Map(), marginals: new Map(), pairableUnits: 0, rowSums: new Map() }]),
  );
  const counts = new Map<string, AnnotatorCounts>();
  const gold = new Map<string, { sum: number; items: number }>();

  for (const [key, value] of Object.entries(total)) {
    const [kind, ...rest] = JSON.parse(key) as [string, ...unknown[]];
    if (kind === "@") {
      counts.set(rest[0] as string, annotatorCountsOf(value as number[]));
      continue;
    }
    const n = value as number;
    if (kind === "tau") {
      tauSum += (rest[0] as number) * n;
      tauCount += n;
    } else if (kind === "units") {
      matrices.get(rest[0] as string)!.pairableUnits = n;
    } else if (kind === "pairs") {
      const [metric, c, k, d] = rest as [string, Value, Value, number];
      const matrix = matrices.get(metric)!;
      const row = matrix.coincidences.get(c) ?? new Map<Value, number>();
      matrix.coincidences.set(c, row);
      row.set(k, (row.get(k) ?? 0) + n / d);
      const sums = matrix.rowSums.get(c) ?? new Map<number, number>();
      matrix.rowSums.set(c, sums);
      sums.set(d, (sums.get(d) ?? 0) + n);
    } else if (kind === "gold") {
      const [annotatorId, score] = rest as [string, number];
      const g = gold.get(annotatorId) ?? { sum: 0, items: 0 };
      g.sum += score * n;
      g.items += n;
      gold.set(annotatorId, g);
    }
  }

  const alpha = (metric: AlphaMetric) => {
    const matrix = matrices.get(metric)!;
    // In a unit of m values each value pairs with m − 1 others, so Σ_k pairs(c, k) over units of
    // one size divides exactly by m − 1: the marginals stay whole numbers.
    for (const [c, sums] of matrix.rowSums) {
      let nc = 0;
      for (const [d, pairs] of sums) nc += pairs / d;
      matrix.marginals.set(c, nc);
    }
    return alphaOfCoincidences(matrix, alphaMetrics[metric]);
  };

  return {
    agreement: {
      multiplyLabelledTasks: scalar("tasks"),
      pairwise: { ...withRate(scalar("agreements"), scalar("comparisons")), tasks: scalar("compared") },
      meanKendallTau: tauCount ? tauSum / tauCount : null,
      rankingAlpha: alpha("ranking"),
      promptPolicyAlpha: alpha("promptPolicy"),
      harmCategoryAlpha: alpha("harmCategory"),
      rubricAlpha: alpha("rubric"),
    },
    trials: { firstWins: scalar("firstWins"), decisive: scalar("decisive") },
    annotators: new Map(
      [...counts].map(([id, c]) => {
        const g = gold.get(id);
        return [id, { ...c, peer: withRate(c.peerAgreements, c.peerComparisons), gold: g ? { accuracy: g.sum / g.items, items: g.items } : null }];
      }),
    ),
  };
}

export type CampaignCounts = {
  reviewStates: Record<string, number>;
  /** Annotations (not rejected) by prompt policy, null last. */
  policyMix: { policy: string | null; annotations: number }[];
  /** Grade counts (not rejected) by the graded response's model, in model order. */
  rubricByModel: Map<string, Record<string, number>>;
  /** Annotators with at least one annotation, rejected ones included. */
  annotators: number;
  submitted: number;
  skipped: number;
  /** Annotations (not rejected, with an annotator) whose time was recorded. */
  timed: number;
};

/** The dashboard's counts from a project's total tally. */
export function campaignOfTally(total: Tally): CampaignCounts {
  const out: CampaignCounts = { reviewStates: {}, policyMix: [], rubricByModel: new Map(), annotators: 0, submitted: 0, skipped: 0, timed: 0 };
  const models = new Map<string, Record<string, number>>();
  for (const [key, value] of Object.entries(total)) {
    const [kind, ...rest] = JSON.parse(key) as [string, ...unknown[]];
    if (kind === "@") {
      const c = annotatorCountsOf(value as number[]);
      if (c.volume + c.rejected > 0) out.annotators++;
      out.submitted += c.submitted;
      out.skipped += c.skipped;
      out.timed += c.timed;
    } else if (kind === "review") {
      out.reviewStates[rest[0] as string] = value as number;
    } else if (kind === "policy") {
      out.policyMix.push({ policy: rest[0] as string | null, annotations: value as number });
    } else if (kind === "rubric") {
      const [model, grade] = rest as [string, string];
      models.set(model, Object.assign(models.get(model) ?? {}, { [grade]: value as number }));
    }
  }
  // In code-unit order, as the keys are written; no policy last.
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  out.policyMix.sort((a, b) => Number(a.policy === null) - Number(b.policy === null) || byText(a.policy ?? "", b.policy ?? ""));
  out.rubricByModel = new Map([...models].sort(([a], [b]) => byText(a, b)));
  return out;
}
