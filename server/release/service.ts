// Loads what the release gates judge: the candidate's and the baseline policy's newest evaluation
// on each of the project's evaluation sets, and queues the evaluations a gate is missing.
import type PgBoss from "pg-boss";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { queueEvaluations } from "../evaluation/queue-evaluations";
import { resultsOfRow } from "../evaluation/service";
import type { StoragePaths } from "../storage";
import { evaluateGates, type Baseline, type GateReport, type SetEvaluations } from "./gates";

type DbLike = Db | Prisma.TransactionClient;

const policyKinds = ["policy", "sft"] as const;
const isPolicy = (kind: string) => (policyKinds as readonly string[]).includes(kind);

/**
 * The policy a candidate is judged against: the project's current policy; for a first promotion,
 * the policy or SFT model it was trained from (its base); none when there is neither.
 */
async function baselineOf(db: DbLike, candidate: { parentId: string | null }, currentPolicy: { id: string; name: string } | null): Promise<Baseline> {
  if (currentPolicy) return { ...currentPolicy, role: "current" };
  if (!candidate.parentId) return null;
  const parent = await db.modelVersion.findUnique({ where: { id: candidate.parentId }, select: { id: true, name: true, kind: true } });
  return parent && isPolicy(parent.kind) ? { id: parent.id, name: parent.name, role: "base" } : null;
}

export type ReleaseGates = GateReport & { candidate: { id: string; name: string }; project: { id: string; name: string }; pendingEvaluations: number };

/** The gate report of promoting `modelVersionId` in `projectId`, as it stands now. */
export async function loadReleaseGates(db: DbLike, { modelVersionId, projectId }: { modelVersionId: string; projectId: string }): Promise<ReleaseGates> {
  const [model, project] = await Promise.all([
    db.modelVersion.findUnique({ where: { id: modelVersionId }, select: { id: true, name: true, parentId: true } }),
    db.project.findUnique({ where: { id: projectId }, select: { id: true, name: true, releaseGates: true, currentPolicy: { select: { id: true, name: true } } } }),
  ]);
  if (!model) throw new AppError("NOT_FOUND", `No model version ${modelVersionId}`);
  if (!project) throw new AppError("NOT_FOUND", `No project ${projectId}`);
  const baseline = await baselineOf(db, model, project.currentPolicy);
  const sets = await db.evaluationSet.findMany({ where: { projectId, prompts: { some: {} } }, orderBy: { createdAt: "asc" }, select: { id: true, name: true, kind: true, version: true } });
  const counts = await db.evaluationPrompt.groupBy({ by: ["setId", "policy"], where: { setId: { in: sets.map((s) => s.id) } }, _count: { _all: true } });
  const newest = (policyId: string, setId: string) =>
    db.modelEvaluation
      .findFirst({ where: { modelVersionId: policyId, kind: "policy", evaluationSetId: setId }, orderBy: { createdAt: "desc" }, select: { id: true, setVersion: true, results: true } })
      .then((e) => (e ? { evaluationId: e.id, setVersion: e.setVersion, results: resultsOfRow(e) } : null));
  const setEvaluations: SetEvaluations[] = await Promise.all(
    sets.map(async (set) => {
      const prompts = { allowed: 0, sensitive: 0, disallowed: 0 };
      for (const c of counts) if (c.setId === set.id) prompts[c.policy] = c._count._all;
      return { set: { ...set, prompts }, candidate: await newest(model.id, set.id), baseline: baseline ? await newest(baseline.id, set.id) : null };
    }),
  );
  const policies = [model.id, ...(baseline ? [baseline.id] : [])];
  const active = await db.job.findMany({ where: { kind: "evaluate", state: { in: ["queued", "running"] } }, select: { payload: true } });
  const pendingEvaluations = active.filter((j) => policies.includes(String((j.payload as { policyModelId?: unknown }).policyModelId))).length;
  const report = evaluateGates({ baseline, sets: setEvaluations, thresholds: project.releaseGates });
  return { ...report, candidate: { id: model.id, name: model.name }, project: { id: project.id, name: project.name }, pendingEvaluations };
}

/** "Evaluate both": queues the evaluations of the candidate and its baseline the gates still miss. */
export async function queueGateEvaluations(deps: { db: Db; boss: PgBoss | (() => Promise<PgBoss>); paths?: StoragePaths }, input: { modelVersionId: string; projectId: string }, actorId: string) {
  const gates = await loadReleaseGates(deps.db, input);
  const jobIds = await queueEvaluations(deps, { modelVersionId: input.modelVersionId, baselineId: gates.baseline?.id ?? null, projectId: input.projectId }, actorId);
  return { jobIds };
}
