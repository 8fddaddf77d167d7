// Where a project stands in the loop label → snapshot → reward model → policy (PPO, GRPO or DPO) → promote → generate,
// read from what the platform already records (annotations, jobs, model versions).
import type { Db } from "../db";
import { ZJobHeartbeatEnv } from "../env";
import { AppError } from "../errors";
import { beforeAfter } from "../evaluation/before-after";
import { latestEvaluation } from "../evaluation/service";
import type { JobState } from "../generated/prisma/client";
import { listWorkerStatus } from "../workers/service";
import { minLabelledTasks } from "./loop.schema";

export type LoopJob = {
  id: string;
  kind: string;
  state: JobState;
  progress: number;
  error: string | null;
  result: unknown;
  payload: Record<string, unknown>;
  createdAt: Date;
  finishedAt: Date | null;
};
type LoopModel = { id: string; name: string; snapshotId: string | null; createdAt: Date; jobId: string | null; eval: unknown; parentId: string | null };

/** The kinds of run the policy step starts (its routes). */
const policyKinds = ["ppo", "grpo", "dpo"];

/** The newest run of each loop kind that belongs to the project (by its snapshot, or its target project for generate). */
async function latestJobs(db: Db, projectId: string) {
  const rows = await db.$queryRaw<LoopJob[]>`
    SELECT DISTINCT ON (j.kind) j.id, j.kind, j.state, j.progress, j.error, j.result, j.payload, j."createdAt", j."finishedAt"
    FROM job j
    LEFT JOIN snapshot s ON s.id = coalesce(j.payload->>'snapshotId', j.payload->>'promptsSnapshotId')
    WHERE (j.kind IN ('train_reward', 'ppo', 'grpo', 'dpo') AND s."projectId" = ${projectId})
       OR (j.kind = 'generate' AND j.payload->>'projectId' = ${projectId})
    ORDER BY j.kind, j."createdAt" DESC`;
  const by = (kind: string) => rows.find((r) => r.kind === kind) ?? null;
  const policy = rows.filter((r) => policyKinds.includes(r.kind)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0] ?? null;
  return { reward: by("train_reward"), policy, generate: by("generate") };
}

/** The newest model a run of the project ended with (built-in models have no project; checkpoints are on the way). */
function latestModel(db: Db, projectId: string, kind: "reward" | "policy"): Promise<LoopModel | null> {
  return db.modelVersion.findFirst({
    where: { projectId, kind, jobId: { not: null }, checkpointStep: null },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, snapshotId: true, createdAt: true, jobId: true, eval: true, parentId: true },
  });
}

async function labelCounts(db: Db, projectId: string) {
  const [row] = await db.$queryRaw<{ annotations: number; labelledTasks: number; openTasks: number; generatedTasks: number }[]>`
    SELECT
      (SELECT count(*)::int FROM annotation a JOIN task t ON t.id = a."taskId"
        WHERE t."projectId" = ${projectId} AND a.origin = 'human' AND a."reviewState" <> 'rejected') AS annotations,
      (SELECT count(DISTINCT a."taskId")::int FROM annotation a JOIN task t ON t.id = a."taskId"
        WHERE t."projectId" = ${projectId} AND a.origin = 'human' AND a."reviewState" <> 'rejected' AND NOT t."isGold") AS "labelledTasks",
      (SELECT count(*)::int FROM task t JOIN project p ON p.id = t."projectId"
        WHERE t."projectId" = ${projectId} AND NOT t."isGold" AND t.rankable AND t."annotationCount" < p.overlap) AS "openTasks",
      -- Tasks whose responses a registered model version wrote (generate jobs record its id).
      (SELECT count(*)::int FROM task t
        WHERE t."projectId" = ${projectId} AND EXISTS (SELECT 1 FROM response r JOIN model_version m ON m.id = r.model WHERE r."taskId" = t.id)) AS "generatedTasks"`;
  return row!;
}

export type LoopStatus = Awaited<ReturnType<typeof getLoopStatus>>;

export async function getLoopStatus(db: Db, projectId: string) {
  const project = await db.project.findUnique({
    where: { id: projectId },
    select: { id: true, name: true, k: true, archivedAt: true, currentPolicy: { select: { id: true, name: true, builtin: true } } },
  });
  if (!project) throw new AppError("NOT_FOUND", `No project ${projectId}`);
  const [labels, jobs, rewardModel, policyModel, workers] = await Promise.all([
    labelCounts(db, projectId),
    latestJobs(db, projectId),
    latestModel(db, projectId, "reward"),
    latestModel(db, projectId, "policy"),
    listWorkerStatus(db, { timeoutSeconds: ZJobHeartbeatEnv.parse(process.env).JOB_HEARTBEAT_TIMEOUT_SECONDS }),
  ]);
  const alive = workers.filter((w) => w.alive);
  // The trained policy against the one it was trained from, once the automatic evaluations ran.
  const evaluation = policyModel ? await beforeAfter(db, policyModel.id, policyModel.parentId) : null;
  const rewardEvaluation = rewardModel ? await latestEvaluation(db, rewardModel.id, "reward") : null;
  return {
    project,
    labels: { ...labels, needed: minLabelledTasks },
    reward: { job: jobs.reward, model: rewardModel, evaluation: rewardEvaluation },
    policy: { job: jobs.policy, model: policyModel, evaluation },
    promoted: policyModel !== null && project.currentPolicy?.id === policyModel.id,
    generate: { job: jobs.generate },
    // Without a live worker the steps only queue; with GPUs the full size is the better default.
    workers: { alive: alive.length, withGpus: alive.filter((w) => w.capabilities.gpus.length > 0).length },
  };
}
