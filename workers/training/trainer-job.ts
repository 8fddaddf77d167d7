// The handler of a job kind that runs one trainer command. The kind's contract (server/jobs/kinds.ts)
// says what its payload is and how its inputs are looked up; its handler (workers/jobs/) only says
// which command runs, the trainer config the inputs make, and what to register.
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { AppError } from "../../server/errors";
import { autoEvaluations, autoModelEvaluations } from "../../server/evaluation/auto-evaluate";
import type { ModelKind, Prisma } from "../../server/generated/prisma/client";
import { artifactRelative } from "../../server/models/model-path";
import { registerModelVersion } from "../../server/models/service";
import { listCheckpointFolders } from "../../server/runs/checkpoint-folders";
import { recordMetrics, type MetricPoint } from "../../server/runs/service";
import type { TrainerConfig } from "../../server/training/trainer-config";
import type { TrainerJobContract } from "../../server/training/trainer-contract";
import { PermanentJobError, type JobContext } from "../jobs/job-handler";
import { decideOutcome, LineTail } from "./run-outcome";
import { applyEvent, emptyReport, parseTrainerLine, progressOf, type RunReport } from "./trainer-events";
import { runTrainerProcess } from "./trainer-process";

export type TrainerCommand = "reward" | "safety" | "sft" | "dpo" | "kto" | "ppo" | "grpo" | "rloo" | "generate" | "evaluate" | "acquire" | "forecast" | "serve";

/** A successful run, as `register` gets it. */
export type FinishedRun<TPayload, TInputs> = {
  payload: TPayload;
  inputs: TInputs;
  /** The run's folder, absolute and as stored (relative to the artifact directory). */
  outputDir: string;
  outputRel: string;
  config: TrainerConfig;
  report: RunReport;
  summary: Record<string, unknown>;
};

export type TrainerHandlerSpec<TSchema extends z.ZodType, TInputs> = {
  command: TrainerCommand;
  config: (run: { payload: z.output<TSchema>; inputs: TInputs; outputDir: string }) => TrainerConfig;
  /** Writes files the config names into the run's folder (it exists by then), before the trainer starts. */
  stage?: (run: { payload: z.output<TSchema>; inputs: TInputs; outputDir: string }, ctx: JobContext) => Promise<void>;
} & (
  | {
      /**
       * For the kinds that train a model: what it is and where it comes from. Each checkpoint the
       * trainer reports, and the model the run ends with, become versions of it.
       */
      model: (run: { payload: z.output<TSchema>; inputs: TInputs }) => ProducedModel;
      register?: never;
    }
  | {
      /** Registers what the run produced; the returned value is the job's result. */
      register: (run: FinishedRun<z.output<TSchema>, TInputs>, ctx: JobContext) => Promise<Record<string, unknown>>;
      model?: never;
    }
);

/** A trained model's kind and lineage. Its versions are named by the payload or `<prefix>-<job id>` (prefix: the kind). */
export type ProducedModel = {
  kind: ModelKind;
  prefix?: string;
  parentId: string;
  snapshot: { id: string; projectId: string };
  rewardModelId?: string;
  safetyModelId?: string | null;
};

const flushEveryMs = 1000;
const maxBufferedMetrics = 500;

export function trainerJobHandler<TSchema extends z.ZodType, TInputs>(contract: TrainerJobContract<TSchema, TInputs>, spec: TrainerHandlerSpec<TSchema, TInputs>) {
  return (payload: z.output<TSchema>, ctx: JobContext) => runTrainerJob(contract, spec, payload, ctx);
}

/** The run's folder: the same on every attempt, so a re-queued attempt resumes from its checkpoints. */
export function runOutputDir(artifactDir: string, jobId: string): string {
  return path.join(artifactDir, "runs", jobId);
}

async function runTrainerJob<TSchema extends z.ZodType, TInputs>(
  contract: TrainerJobContract<TSchema, TInputs>,
  spec: TrainerHandlerSpec<TSchema, TInputs>,
  payload: z.output<TSchema>,
  ctx: JobContext,
) {
  const { db, jobId, log } = ctx;
  let inputs: TInputs;
  try {
    ({ inputs } = await contract.resolve(payload, { db, paths: ctx.paths, where: "worker" }));
  } catch (err) {
    // A snapshot or model that is gone (or wrong) stays so: another attempt would fail the same way.
    if (err instanceof AppError) throw new PermanentJobError(err.message);
    throw err;
  }
  const outputDir = runOutputDir(ctx.paths.artifactDir, jobId);
  const outputRel = artifactRelative(ctx.paths.artifactDir, outputDir);
  const config = spec.config({ payload, inputs, outputDir });
  await mkdir(outputDir, { recursive: true });
  await spec.stage?.({ payload, inputs, outputDir }, ctx);
  const configPath = path.join(outputDir, `${spec.command}.config.json`);
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const { gpus } = await db.job.update({ where: { id: jobId }, data: { outputDir: outputRel, logTail: null }, select: { gpus: true } });

  let report: RunReport = emptyReport;
  const tail = new LineTail(50);
  let pending: MetricPoint[] = [];
  let reported = { step: null as number | null, totalSteps: null as number | null, log: "" };
  // One write at a time, in order; a failed write is logged and the run goes on (metrics are not worth a crash).
  let writes = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = [];
    const update = { step: report.step, totalSteps: report.totalSteps, log: tail.toString() };
    const changed = update.step !== reported.step || update.totalSteps !== reported.totalSteps || update.log !== reported.log;
    reported = update;
    writes = writes
      .then(async () => {
        await recordMetrics(db, jobId, ctx.attempt, batch);
        if (changed) await ctx.heartbeat({ progress: progressOf(report), step: update.step, totalSteps: update.totalSteps, logTail: update.log || null });
      })
      .catch((err: unknown) => log.warn({ err }, "could not record the run's metrics or progress"));
    return writes;
  };
  const timer = setInterval(() => void flush(), flushEveryMs);
  const produced = spec.model?.({ payload, inputs });
  const versions = produced && checkpointVersions(ctx, { payload, config, outputDir, outputRel }, produced);
  // The newest step's training metrics (`train/…`), for the checkpoint saved at that step.
  let train = { step: -1, values: {} as Record<string, number> };

  let exit;
  try {
    exit = await runTrainerProcess({
      python: ctx.trainerPython,
      command: spec.command,
      configPath,
      gpus,
      signal: ctx.signal,
      onStdoutLine: (line) => {
        if (!line.trim()) return;
        const parsed = parseTrainerLine(line);
        if (parsed.kind === "text") {
          tail.push(line);
          return;
        }
        report = applyEvent(report, parsed.event);
        if (parsed.event.event === "metric") {
          const { step, name, value } = parsed.event;
          pending.push({ step, name, value });
          if (pending.length >= maxBufferedMetrics) void flush();
          if (name.startsWith("train/")) {
            if (step !== train.step) train = { step, values: {} };
            train.values[name.slice("train/".length)] = value;
          }
        } else if (parsed.event.event === "checkpoint" && versions) {
          const { step } = parsed.event;
          // The eval that ran at this very step, if any: an earlier one would describe other weights.
          const evalNow = report.lastEval?.step === step ? report.lastEval : null;
          const trainNow = train.step === step ? train.values : null;
          writes = writes
            .then(() => versions.sync({ step, eval: evalNow, train: trainNow }))
            .catch((err: unknown) => log.warn({ err, step }, "could not register the checkpoint as a model version"));
        }
      },
      onStderrLine: (line) => tail.push(line),
    });
  } finally {
    clearInterval(timer);
    await flush();
    // Checkpoints a crashed attempt saved but never registered, and those pruned since, are found
    // on disk; a cancelled or failed run's checkpoints stay usable too.
    await versions?.sync().catch((err: unknown) => log.warn({ err }, "could not register the run's checkpoints"));
  }

  const outcome = decideOutcome(report, exit, tail.all, { stopRequested: ctx.signal.aborted });
  if (outcome.status === "interrupted") {
    const at = outcome.checkpointStep === null ? "" : ` at step ${outcome.checkpointStep}`;
    throw new Error(`The run was stopped${at}; its checkpoint is kept and the next attempt resumes from it`);
  }
  if (outcome.status === "failed") throw outcome.retry ? new Error(outcome.message) : new PermanentJobError(outcome.message);
  const run = { payload, inputs, outputDir, outputRel, config, report, summary: outcome.summary };
  return produced ? registerFinalModel(run, ctx, produced) : spec.register!(run, ctx);
}

/** What every version a run registers shares: the job, its lineage and the trainer config. */
function lineage(jobId: string, model: ProducedModel, config: TrainerConfig) {
  return {
    jobId,
    parentId: model.parentId,
    rewardModelId: model.rewardModelId,
    safetyModelId: model.safetyModelId,
    snapshotId: model.snapshot.id,
    projectId: model.snapshot.projectId,
    config: config as Prisma.InputJsonValue,
  };
}

/** A version's name: the payload's, or `<prefix>-<job id>`. */
function versionName(payload: unknown, jobId: string, model: ProducedModel): string {
  const name = (payload as { name?: string }).name;
  return name ?? `${model.prefix ?? model.kind}-${jobId.slice(0, 8)}`;
}

/** The steps of the run's checkpoints that hold a loadable model (`checkpoints/step-N/model`). */
async function checkpointModelsOnDisk(outputDir: string): Promise<Set<number>> {
  const steps = new Set<number>();
  for (const { step, name } of await listCheckpointFolders(outputDir)) {
    const info = await stat(path.join(outputDir, "checkpoints", name, "model")).catch(() => null);
    if (info?.isDirectory()) steps.add(step);
  }
  return steps;
}

/**
 * Keeps the registry in step with the run's checkpoints: each one the trainer reports, or that is
 * found on disk (saved by an attempt whose worker died before registering it), becomes a version
 * `<name>@step-N`; those whose folder the trainer has pruned since are marked so.
 */
function checkpointVersions(
  ctx: JobContext,
  run: { payload: unknown; config: TrainerConfig; outputDir: string; outputRel: string },
  model: ProducedModel,
) {
  const name = versionName(run.payload, ctx.jobId, model);
  return {
    /** `reported`: the checkpoint the trainer just announced, with the eval and training metrics of its step. */
    async sync(reported?: { step: number; eval: RunReport["lastEval"]; train: Record<string, number> | null }) {
      const onDisk = await checkpointModelsOnDisk(run.outputDir);
      const steps = new Set(onDisk);
      // Registered even when already pruned (a fast run may save the next one first): it was reported.
      if (reported) steps.add(reported.step);
      const reportedEval = reported && (reported.eval || reported.train) ? asJson({ ...reported.eval, ...(reported.train && { last_train: reported.train }) }) : undefined;
      for (const step of [...steps].sort((a, b) => a - b)) {
        const evalAtStep = step === reported?.step ? reportedEval : undefined;
        await registerModelVersion(ctx.db, {
          kind: model.kind,
          name: `${name}@step-${step}`,
          path: `${run.outputRel}/checkpoints/step-${step}/model`,
          checkpointStep: step,
          ...lineage(ctx.jobId, model, run.config),
          eval: evalAtStep,
        });
      }
      await ctx.db.modelVersion.updateMany({
        where: { jobId: ctx.jobId, kind: model.kind, checkpointStep: { not: null, notIn: [...onDisk] }, prunedAt: null },
        data: { prunedAt: new Date() },
      });
    },
  };
}

/** The folder a command writes its final model to, checked to exist before it is registered. */
export async function finalModelDir(run: { outputDir: string; outputRel: string }): Promise<{ dir: string; rel: string }> {
  const dir = path.join(run.outputDir, "model");
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`The trainer reported success but wrote no model folder (${dir})`);
  return { dir, rel: `${run.outputRel}/model` };
}

/**
 * Registers the model a run wrote (`model/`) as a version of `kind`, named by the payload or
 * `<prefix>-<job id>` (prefix: the kind), with its lineage, last eval and config; returns the job's result.
 */
async function registerFinalModel(run: FinishedRun<unknown, unknown>, ctx: JobContext, model: ProducedModel) {
  const { rel } = await finalModelDir(run);
  const version = await registerModelVersion(ctx.db, {
    kind: model.kind,
    name: versionName(run.payload, ctx.jobId, model),
    path: rel,
    ...lineage(ctx.jobId, model, run.config),
    eval: asJson({ ...run.report.lastEval, summary: run.summary }),
  });
  const evaluationJobIds = await queueEvaluations(ctx, version.id, model.kind);
  return { modelVersionId: version.id, summary: run.summary, ...(evaluationJobIds.length ? { evaluationJobIds } : {}) };
}

/**
 * A new policy is evaluated, with the one it was trained from, on the project's evaluation sets; a
 * reward or safety model on the prompts its run held out.
 */
async function queueEvaluations(ctx: JobContext, modelVersionId: string, kind: ModelKind): Promise<string[]> {
  try {
    const payloads = kind === "policy" || kind === "sft" ? await autoEvaluations(ctx.db, { modelVersionId }) : await autoModelEvaluations(ctx.db, modelVersionId);
    const ids = [];
    for (const payload of payloads) ids.push((await ctx.followUp("evaluate", payload)).id);
    return ids;
  } catch (err) {
    // The model is trained and registered; an evaluation that could not be queued can be started by hand.
    ctx.log.warn({ err }, "could not queue the evaluations of the new model");
    return [];
  }
}

/** A value as stored in a Json column (drops undefined, turns non-finite numbers into null). */
export function asJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as Prisma.InputJsonValue;
}
