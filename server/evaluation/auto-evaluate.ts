// The evaluations the platform queues by itself: after a policy is trained (PPO, SFT) or
// promoted, the new policy and the one it replaces are evaluated on every evaluation set of the
// project, scored by the same reward and safety models, so the two can be compared.
import type { Db } from "../db";

/** What an `evaluate` job is queued with (its payload schema lives with the job). */
export type AutoEvaluation = {
  policyModelId: string;
  evaluationSetId: string;
  rewardModelId?: string;
  safetyModelId?: string;
  config: { num_samples: number; seed: number };
};

const usable = { prunedAt: null, checkpointStep: null } as const;

async function newest(db: Db, projectId: string, kind: "reward" | "safety"): Promise<string | undefined> {
  const row = await db.modelVersion.findFirst({ where: { projectId, kind, ...usable }, orderBy: { createdAt: "desc" }, select: { id: true } });
  return row?.id;
}

/**
 * One evaluation per set for `modelVersionId` and for `baselineId` (default, or when the project
 * had no current policy: its parent), when that is a usable policy. The reward and safety models are the policy's own (those PPO trained
 * against), else the project's newest; K samples per prompt, so an evaluation can be sent to
 * annotators as K-response tasks. `projectId` names the project whose sets are used when it is not
 * the policy's own (a policy promoted for another project).
 */
export async function autoEvaluations(db: Db, { modelVersionId, baselineId, projectId }: { modelVersionId: string; baselineId?: string | null; projectId?: string }): Promise<AutoEvaluation[]> {
  const model = await db.modelVersion.findUnique({
    where: { id: modelVersionId },
    select: { id: true, kind: true, projectId: true, parentId: true, rewardModelId: true, safetyModelId: true, project: { select: { k: true } } },
  });
  if (!model?.projectId || !model.project || !["policy", "sft"].includes(model.kind)) return [];
  const sets = await db.evaluationSet.findMany({ where: { projectId: projectId ?? model.projectId, prompts: { some: {} } }, orderBy: { createdAt: "asc" }, select: { id: true, version: true } });
  if (!sets.length) return [];
  const baselineCandidate = baselineId ?? model.parentId;
  const baseline = baselineCandidate
    ? await db.modelVersion.findFirst({ where: { id: baselineCandidate, kind: { in: ["policy", "sft"] }, prunedAt: null }, select: { id: true } })
    : null;
  const rewardModelId = model.rewardModelId ?? (await newest(db, model.projectId, "reward"));
  const safetyModelId = model.safetyModelId ?? (await newest(db, model.projectId, "safety"));
  const policies = [model.id, ...(baseline && baseline.id !== model.id ? [baseline.id] : [])];
  const pending = await alreadyEvaluated(db, policies, sets);
  return sets.flatMap((set) =>
    policies.filter((policyModelId) => !pending.has(`${policyModelId}:${set.id}`)).map((policyModelId) => ({
      policyModelId,
      evaluationSetId: set.id,
      ...(rewardModelId ? { rewardModelId } : {}),
      ...(safetyModelId ? { safetyModelId } : {}),
      config: { num_samples: model.project!.k, seed: 0 },
    })),
  );
}

/**
 * "policy:set" for each policy already evaluated on the set as it is now, or with an evaluation of
 * it queued or running: a promote right after PPO does not evaluate the same pair twice.
 */
async function alreadyEvaluated(db: Db, policies: string[], sets: { id: string; version: number }[]): Promise<Set<string>> {
  const done = await db.modelEvaluation.findMany({
    where: { kind: "policy", modelVersionId: { in: policies }, evaluationSetId: { in: sets.map((s) => s.id) } },
    select: { modelVersionId: true, evaluationSetId: true, setVersion: true },
  });
  const version = new Map(sets.map((s) => [s.id, s.version]));
  const keys = new Set(done.filter((d) => d.evaluationSetId && d.setVersion === version.get(d.evaluationSetId)).map((d) => `${d.modelVersionId}:${d.evaluationSetId}`));
  const active = await db.job.findMany({ where: { kind: "evaluate", state: { in: ["queued", "running"] } }, select: { payload: true } });
  for (const { payload } of active) {
    const p = payload as { policyModelId?: unknown; evaluationSetId?: unknown };
    if (typeof p.policyModelId === "string" && typeof p.evaluationSetId === "string") keys.add(`${p.policyModelId}:${p.evaluationSetId}`);
  }
  return keys;
}

/** An `evaluate` job's payload for a reward or safety model. */
export type AutoModelEvaluation =
  | { rewardModelId: string; pairsSnapshotId: string; compareRewardModelId?: string; heldOutOnly: true; config: Record<string, never> }
  | { safetyModelId: string; safetyLabelsSnapshotId: string; heldOutOnly: true; config: Record<string, never> };

const splitOf = (config: unknown): string | null => {
  const c = config as { split?: unknown; eval_fraction?: unknown; eval_data?: unknown } | null;
  return c && typeof c.split === "string" && typeof c.eval_fraction === "number" && c.eval_fraction > 0 && !c.eval_data ? c.split : null;
};

/**
 * A new reward model is scored on the prompts its run held out against the length rules, and
 * against the project's previous reward model when that one held out the same split (else its
 * score would count prompts it trained on); a new safety model against the held-out labels. A run
 * that held nothing out is not evaluated: its own training data would flatter it.
 */
export async function autoModelEvaluations(db: Db, modelVersionId: string): Promise<AutoModelEvaluation[]> {
  const model = await db.modelVersion.findUnique({ where: { id: modelVersionId }, select: { id: true, kind: true, projectId: true, snapshotId: true, config: true, createdAt: true } });
  if (!model?.snapshotId || !model.projectId || !splitOf(model.config)) return [];
  if (model.kind === "safety") return [{ safetyModelId: model.id, safetyLabelsSnapshotId: model.snapshotId, heldOutOnly: true, config: {} }];
  if (model.kind !== "reward") return [];
  const earlier = await db.modelVersion.findMany({
    where: { projectId: model.projectId, kind: "reward", ...usable, id: { not: model.id }, createdAt: { lte: model.createdAt }, jobId: { not: null } },
    orderBy: { createdAt: "desc" },
    take: 10,
    select: { id: true, config: true },
  });
  const previous = earlier.find((m) => splitOf(m.config) === splitOf(model.config));
  return [{ rewardModelId: model.id, pairsSnapshotId: model.snapshotId, ...(previous ? { compareRewardModelId: previous.id } : {}), heldOutOnly: true, config: {} }];
}
