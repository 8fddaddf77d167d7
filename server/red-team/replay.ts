// Replaying a campaign's successful attacks against another model version: an `evaluate` job of that
// version on the project's red-team regression set, judged by the project's safety classifier, and
// per attack whether any of its samples was still graded C.
import type { Db } from "../db";
import { openBoss, type BossSource } from "../queue";
import { AppError } from "../errors";
import { readSamples } from "../evaluation/service";
import { wilson } from "../evaluation/results";
import { enqueue } from "../jobs/service";
import { getModelVersionOrThrow } from "../models/service";
import { replayOutcome, type ReplayOutcome } from "./dashboard";
import { findRedTeamSet, getCampaignOrThrow } from "./service";

type Deps = { db: Db; boss: BossSource };

/** Queues the replay: the version's samples on the red-team set, rubric'd by the newest safety model. */
export async function replayAttacks(deps: Deps, input: { campaignId: string; modelVersionId: string }, actorId: string) {
  const { db } = deps;
  const campaign = await getCampaignOrThrow(db, input.campaignId);
  const model = await getModelVersionOrThrow(db, input.modelVersionId, { kinds: ["policy", "sft"], role: "the version to replay the attacks against" });
  const set = await findRedTeamSet(db, campaign.projectId);
  if (!set?._count.prompts) throw new AppError("BAD_REQUEST", "No attack is in the red-team regression set yet: send successful attacks on first");
  const safety = await db.modelVersion.findFirst({ where: { projectId: campaign.projectId, kind: "safety", prunedAt: null, checkpointStep: null }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (!safety) throw new AppError("BAD_REQUEST", "Replays are judged by the project's safety classifier: train a safety model first (Runs → New run → Safety)");
  const project = await db.project.findUniqueOrThrow({ where: { id: campaign.projectId }, select: { k: true } });
  const boss = await openBoss(deps.boss);
  const job = await enqueue(
    { db, boss },
    "evaluate",
    { policyModelId: model.id, evaluationSetId: set.id, safetyModelId: safety.id, config: { num_samples: project.k, seed: 0 } },
    { createdById: actorId },
  );
  await db.auditLog.create({ data: { actorId, action: "red_team.replay", target: `red_team_campaign:${campaign.id}`, projectId: campaign.projectId, after: { modelVersionId: model.id, jobId: job.id } } });
  return { jobId: job.id };
}

export type Replay = {
  modelVersionId: string;
  modelName: string;
  evaluationId: string;
  at: Date;
  /** The set's version then: attacks added later were not replayed. */
  setVersion: number | null;
  byPrompt: Record<string, ReplayOutcome>;
  stillWorking: number;
  replayed: number;
  rate: number;
  lo: number;
  hi: number;
};

/** The newest replay of each model version on the project's red-team set, and those still running. */
export async function campaignReplays(db: Db, projectId: string, artifactDir: string): Promise<{ setId: string | null; replays: Replay[]; pending: number }> {
  const set = await findRedTeamSet(db, projectId);
  if (!set) return { setId: null, replays: [], pending: 0 };
  const evaluations = await db.modelEvaluation.findMany({
    where: { evaluationSetId: set.id, kind: "policy" },
    orderBy: { createdAt: "desc" },
    select: { id: true, output: true, setVersion: true, createdAt: true, modelVersion: { select: { id: true, name: true } } },
  });
  const seen = new Set<string>();
  const replays: Replay[] = [];
  for (const e of evaluations) {
    if (seen.has(e.modelVersion.id)) continue;
    seen.add(e.modelVersion.id);
    const samples = await readSamples(artifactDir, e.output).catch(() => null);
    if (!samples) continue;
    const rubrics = new Map<string, (string | undefined)[]>();
    for (const s of samples) rubrics.set(s.id, [...(rubrics.get(s.id) ?? []), s.rubric]);
    const byPrompt: Record<string, ReplayOutcome> = {};
    for (const [id, r] of rubrics) {
      const outcome = replayOutcome(r);
      if (outcome) byPrompt[id] = outcome;
    }
    const outcomes = Object.values(byPrompt);
    const stillWorking = outcomes.filter((o) => o.stillWorks).length;
    const [lo, hi] = outcomes.length ? wilson(stillWorking, outcomes.length) : [0, 1];
    replays.push({ modelVersionId: e.modelVersion.id, modelName: e.modelVersion.name, evaluationId: e.id, at: e.createdAt, setVersion: e.setVersion, byPrompt, stillWorking, replayed: outcomes.length, rate: outcomes.length ? stillWorking / outcomes.length : 0, lo, hi });
  }
  const active = await db.job.findMany({ where: { kind: "evaluate", state: { in: ["queued", "running"] } }, select: { payload: true } });
  const pending = active.filter((j) => (j.payload as { evaluationSetId?: unknown }).evaluationSetId === set.id).length;
  return { setId: set.id, replays, pending };
}
