import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ZServingEnv } from "../../server/env";
import { AppError } from "../../server/errors";
import { jobKinds } from "../../server/jobs/kinds";
import { artifactRelative } from "../../server/models/model-path";
import { ZServerHealth, type ServeResult } from "../../server/serving/served-models";
import { serveConfig } from "../../server/training/trainer-config";
import { decideOutcome, LineTail } from "../training/run-outcome";
import { applyEvent, emptyReport, parseTrainerLine } from "../training/trainer-events";
import { runOutputDir } from "../training/trainer-job";
import { runTrainerProcess } from "../training/trainer-process";
import { PermanentJobError, type JobHandler } from "./job-handler";

const loadEveryMs = 2000;

/**
 * Runs the trainer's model server until the job is cancelled (or the worker stops): its address
 * and load go into the job's result with every beat, which is where the web app looks for it.
 */
export const serveHandler: JobHandler<"serve"> = async (payload, ctx) => {
  let model;
  try {
    ({ inputs: { model } } = await jobKinds.serve.resolve(payload, { db: ctx.db, paths: ctx.paths, where: "worker" }));
  } catch (err) {
    if (err instanceof AppError) throw new PermanentJobError(err.message);
    throw err;
  }
  const outputDir = runOutputDir(ctx.paths.artifactDir, ctx.jobId);
  await mkdir(outputDir, { recursive: true });
  const configPath = path.join(outputDir, "serve.config.json");
  const config = serveConfig({ modelDir: model.dir, host: ZServingEnv.parse(process.env).SERVE_HOST, outputDir, maxTokens: payload.maxTokens });
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  // A restarted attempt listens elsewhere: the previous address is gone until the new one is known.
  await ctx.db.job.update({ where: { id: ctx.jobId }, data: { outputDir: artifactRelative(ctx.paths.artifactDir, outputDir), logTail: null } });
  await ctx.heartbeat({ result: { modelVersionId: model.id, modelName: model.name, url: null, startedAt: new Date().toISOString() } });

  let report = emptyReport;
  let serving: ServeResult | null = null;
  const tail = new LineTail(50);
  const poll = async () => {
    if (!serving) return ctx.heartbeat({ logTail: tail.toString() || null });
    // The server's own count of waiting and running requests and tokens served; a vLLM server's
    // /health says nothing, and the address alone is reported.
    const health = await fetch(`${serving.url}/health`, { signal: AbortSignal.timeout(loadEveryMs) })
      .then(async (r) => ZServerHealth.safeParse(await r.json()))
      .catch(() => null);
    if (health?.success) serving = { ...serving, load: health.data.load, checkedAt: new Date().toISOString() };
    await ctx.heartbeat({ result: serving, logTail: tail.toString() || null });
  };
  let polling = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(poll).catch((err: unknown) => ctx.log.warn({ err }, "could not record the server's load"));
  }, loadEveryMs);

  let exit;
  try {
    exit = await runTrainerProcess({
      python: ctx.trainerPython,
      command: "serve",
      configPath,
      signal: ctx.signal,
      killAfterMs: 10_000,
      onStdoutLine: (line) => {
        if (!line.trim()) return;
        const parsed = parseTrainerLine(line);
        if (parsed.kind === "text") return tail.push(line);
        report = applyEvent(report, parsed.event);
        if (parsed.event.event === "serving") {
          const { url, backend } = parsed.event;
          serving = { modelVersionId: model.id, modelName: model.name, url, backend, load: null, startedAt: new Date().toISOString(), checkedAt: null };
          ctx.log.info({ url, backend }, "model server ready");
          polling = polling.then(poll).catch(() => undefined);
        }
      },
      onStderrLine: (line) => tail.push(line),
    });
  } finally {
    clearInterval(timer);
    await polling;
  }
  const outcome = decideOutcome(report, exit, tail.all, { stopRequested: ctx.signal.aborted });
  if (outcome.status === "failed") throw outcome.retry ? new Error(outcome.message) : new PermanentJobError(outcome.message);
  // Stopped (cancelled, or the worker is stopping: the job goes back to the queue) or, which a
  // server never does, ended by itself: either way another attempt serves again.
  throw new Error(ctx.signal.aborted ? "The model server was stopped" : "The model server exited on its own");
};
