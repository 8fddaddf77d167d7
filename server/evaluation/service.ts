// Evaluations of model versions: recorded by the `evaluate` job, listed on a model's page,
// compared side by side.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { EvaluationKind, Prisma } from "../generated/prisma/client";
import type { Message } from "../import/conversation";
import { storagePathsFromEnv } from "../storage";
import { asResults, compareResults, type EvaluationResults } from "./results";

export const evaluationSelect = {
  id: true,
  kind: true,
  modelVersionId: true,
  jobId: true,
  evaluationSetId: true,
  setVersion: true,
  snapshotId: true,
  split: true,
  results: true,
  output: true,
  createdAt: true,
  modelVersion: { select: { id: true, name: true, kind: true, parentId: true, checkpointStep: true } },
  evaluationSet: { select: { id: true, name: true, version: true } },
} satisfies Prisma.ModelEvaluationSelect;

export type EvaluationRow = Prisma.ModelEvaluationGetPayload<{ select: typeof evaluationSelect }>;

export type RecordEvaluation = {
  modelVersionId: string;
  jobId: string;
  kind: EvaluationKind;
  results: EvaluationResults;
  output: string;
  evaluationSetId?: string | null;
  setVersion?: number | null;
  snapshotId?: string | null;
  split?: string | null;
};

/** One row per (job, model, kind): a retried registration keeps the first. */
export async function recordEvaluation(db: Db, data: RecordEvaluation) {
  const { results, ...rest } = data;
  return db.modelEvaluation.upsert({
    where: { jobId_modelVersionId_kind: { jobId: data.jobId, modelVersionId: data.modelVersionId, kind: data.kind } },
    create: { ...rest, results: results as unknown as Prisma.InputJsonValue },
    update: {},
    select: { id: true, kind: true, modelVersionId: true },
  });
}

export function resultsOfRow(row: { results: unknown }): EvaluationResults {
  return asResults(row.results as Record<string, unknown>);
}

export async function listModelEvaluations(db: Db, modelVersionId: string) {
  const rows = await db.modelEvaluation.findMany({ where: { modelVersionId }, orderBy: { createdAt: "desc" }, select: evaluationSelect });
  return rows.map((r) => ({ ...r, results: resultsOfRow(r) }));
}

/** A model's newest evaluation of one kind, or null. */
export async function latestEvaluation(db: Db, modelVersionId: string, kind: EvaluationKind) {
  const row = await db.modelEvaluation.findFirst({ where: { modelVersionId, kind }, orderBy: { createdAt: "desc" }, select: evaluationSelect });
  return row ? { ...row, results: resultsOfRow(row) } : null;
}

export async function getEvaluationOrThrow(db: Db, id: string) {
  const row = await db.modelEvaluation.findUnique({ where: { id }, select: evaluationSelect });
  if (!row) throw new AppError("NOT_FOUND", `No evaluation ${id}`);
  return { ...row, results: resultsOfRow(row) };
}

/** Evaluations another one can be compared with: the same kind, and for policies the same set. */
export async function comparableEvaluations(db: Db, id: string) {
  const e = await getEvaluationOrThrow(db, id);
  return db.modelEvaluation.findMany({
    where: { id: { not: e.id }, kind: e.kind, ...(e.kind === "policy" ? { evaluationSetId: e.evaluationSetId } : {}) },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: { id: true, kind: true, createdAt: true, setVersion: true, snapshotId: true, split: true, modelVersion: { select: { id: true, name: true } } },
  });
}

/**
 * Two evaluations of one kind side by side: every figure of either, and a − b with its interval.
 * Policies are compared only on the same evaluation set; a different version of it is named.
 */
export async function compareEvaluations(db: Db, aId: string, bId: string) {
  const [a, b] = await Promise.all([getEvaluationOrThrow(db, aId), getEvaluationOrThrow(db, bId)]);
  if (a.kind !== b.kind) throw new AppError("BAD_REQUEST", `Evaluation ${aId} is of a ${a.kind} model and ${bId} of a ${b.kind} model; compare evaluations of one kind`);
  const notes: string[] = [];
  if (a.kind === "policy") {
    if (a.evaluationSetId === null || a.evaluationSetId !== b.evaluationSetId) {
      throw new AppError("BAD_REQUEST", "These policy evaluations ran on different prompts; compare evaluations on the same evaluation set");
    }
    if (a.setVersion !== b.setVersion) notes.push(`The set was edited between the two evaluations (version ${a.setVersion} and ${b.setVersion}): the prompts are not all the same.`);
  } else if (a.snapshotId !== b.snapshotId || a.split !== b.split) {
    notes.push("The two evaluations scored different data (another snapshot or held-out split): the difference mixes the models with the data.");
  }
  return { a, b, metrics: compareResults(a.results, b.results), notes };
}

export type EvaluationSample = { id: string; policy: string | null; response: string; rubric?: string; reward?: number; refusal?: boolean; kl?: number; tokens?: number };

/** Every sampled response of a policy evaluation (its eval.json), or NOT_FOUND when the file is gone. */
export async function readSamples(artifactDir: string, output: string): Promise<EvaluationSample[]> {
  const text = await readFile(path.join(artifactDir, output), "utf8").catch(() => null);
  if (text === null) throw new AppError("NOT_FOUND", `The responses of this evaluation (${output}) are no longer in the artifact directory`);
  const parsed = JSON.parse(text) as { samples?: unknown };
  return Array.isArray(parsed.samples) ? (parsed.samples as EvaluationSample[]) : [];
}

/**
 * The two policies' responses to each prompt of the set, side by side with their scores and
 * rubric; `prompt` is the set's prompt when it still exists.
 */
export async function compareSamples(db: Db, aId: string, bId: string, { artifactDir = storagePathsFromEnv().artifactDir, limit = 200 }: { artifactDir?: string; limit?: number } = {}) {
  const [a, b] = await Promise.all([getEvaluationOrThrow(db, aId), getEvaluationOrThrow(db, bId)]);
  if (a.kind !== "policy" || b.kind !== "policy") throw new AppError("BAD_REQUEST", "Only policy evaluations have generations to compare");
  const [sa, sb] = await Promise.all([readSamples(artifactDir, a.output), readSamples(artifactDir, b.output)]);
  const group = (samples: EvaluationSample[]) => {
    const by = new Map<string, EvaluationSample[]>();
    for (const s of samples) by.set(s.id, [...(by.get(s.id) ?? []), s]);
    return by;
  };
  const [ga, gb] = [group(sa), group(sb)];
  const ids = [...new Set([...ga.keys(), ...gb.keys()])].slice(0, limit);
  const prompts = await db.evaluationPrompt.findMany({ where: { id: { in: ids } }, select: { id: true, messages: true, policy: true } });
  const byId = new Map(prompts.map((p) => [p.id, p]));
  return ids.map((id) => ({
    id,
    prompt: (byId.get(id)?.messages as Message[] | undefined) ?? null,
    policy: byId.get(id)?.policy ?? ga.get(id)?.[0]?.policy ?? null,
    a: ga.get(id) ?? [],
    b: gb.get(id) ?? [],
  }));
}
