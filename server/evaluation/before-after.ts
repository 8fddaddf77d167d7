// A policy against the one it was trained from (or replaced), on the same evaluation set: the
// figures the loop page and a model's page lead with. Only measured numbers, never a guess.
import type { Db } from "../db";
import { compareResults, type ComparedMetric } from "./results";
import { resultsOfRow } from "./service";

/** The figures a before/after headline shows, in this order, when they were measured. */
export const headlineMetrics = ["unsafe_on_disallowed", "over_refusal_on_allowed", "compliant_on_sensitive", "reward"] as const;
/** Without a safety model the phrase-list refusals stand in. */
const fallbackMetrics = ["rule_refusal_on_disallowed", "rule_refusal_on_allowed", "reward"] as const;

const evaluationRef = { id: true, evaluationSetId: true, setVersion: true, results: true, createdAt: true, evaluationSet: { select: { id: true, name: true } } } as const;

export type BeforeAfter = {
  measured: true;
  set: { id: string; name: string };
  before: { modelVersionId: string; evaluationId: string } | null;
  after: { evaluationId: string };
  sameSetVersion: boolean;
  headline: ComparedMetric[];
  /** Evaluate jobs of either policy still queued or running. */
  pending: number;
};

export type EvaluationsPending = { measured: false; pending: number };

export async function beforeAfter(db: Db, modelVersionId: string, baselineId: string | null): Promise<BeforeAfter | EvaluationsPending | null> {
  const policies = [modelVersionId, ...(baselineId ? [baselineId] : [])];
  const active = await db.job.findMany({ where: { kind: "evaluate", state: { in: ["queued", "running"] } }, select: { payload: true } });
  const pending = active.filter((j) => policies.includes(String((j.payload as { policyModelId?: unknown }).policyModelId))).length;
  const after = await db.modelEvaluation.findFirst({ where: { modelVersionId, kind: "policy", evaluationSetId: { not: null } }, orderBy: { createdAt: "desc" }, select: evaluationRef });
  if (!after?.evaluationSet) return pending ? { measured: false, pending } : null;
  const before = baselineId
    ? await db.modelEvaluation.findFirst({
        // The newest on the same set; a different version of it is flagged (sameSetVersion).
        where: { modelVersionId: baselineId, kind: "policy", evaluationSetId: after.evaluationSetId },
        orderBy: { createdAt: "desc" },
        select: evaluationRef,
      })
    : null;
  const a = resultsOfRow(after);
  const b = before ? resultsOfRow(before) : { metrics: {}, verdict: [] };
  const rows = compareResults(a, b);
  const wanted: readonly string[] = headlineMetrics.some((m) => m in a.metrics && m !== "reward") ? headlineMetrics : fallbackMetrics;
  return {
    measured: true,
    set: after.evaluationSet,
    before: before && baselineId ? { modelVersionId: baselineId, evaluationId: before.id } : null,
    after: { evaluationId: after.id },
    sameSetVersion: before ? before.setVersion === after.setVersion : true,
    headline: wanted.map((name) => rows.find((r) => r.name === name)).filter((r): r is ComparedMetric => r !== undefined && r.a !== null),
    pending,
  };
}
