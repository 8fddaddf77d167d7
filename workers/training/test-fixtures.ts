// Shared set-up of the training integration tests: a labelled project, waiting on a condition, a
// job's trainer process and its checkpoints.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { nextAssignment, submitAnnotation } from "../../server/annotation/service";
import { importJsonl } from "../../server/import/service";
import { createUser, type TestDeps } from "../../server/test/harness";
import { trainerDir } from "./trainer-process";

/** A tiny encoder, a tiny causal LM (seed 1) and an untrained safety classifier on the encoder, over `words`. */
export async function makeTinyPolicyAndSafety(dirs: { encoder: string; policy: string; safety: string }, words: readonly string[]): Promise<void> {
  const code = [
    "from trainer.tiny import make_tiny_encoder, make_tiny_causal_lm, word_tokenizer",
    "from trainer.safety_model import SafetyModel",
    `w = ${JSON.stringify(words)}`,
    `make_tiny_encoder(${JSON.stringify(dirs.encoder)}, w)`,
    `make_tiny_causal_lm(${JSON.stringify(dirs.policy)}, w, seed=1)`,
    `SafetyModel.from_backbone(${JSON.stringify(dirs.encoder)}).save(${JSON.stringify(dirs.safety)}, word_tokenizer(w))`,
  ].join("\n");
  await promisify(execFile)(path.resolve(".venv/bin/python"), ["-c", code], { cwd: trainerDir() });
}

export async function waitFor<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? String(x) : x))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The pid of the trainer running job `jobId` (its command line names its config file, in the job's own folder), or null. */
export async function trainerProcessOf(jobId: string): Promise<number | null> {
  for (const entry of (await readdir("/proc")).filter((e) => /^\d+$/.test(e))) {
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("-m\0trainer\0") && new RegExp(`${jobId}/\\w+\\.config\\.json`).test(cmdline)) return Number(entry);
  }
  return null;
}

/** The steps of the checkpoints job `jobId` has on disk. */
export async function checkpointSteps(artifactDir: string, jobId: string): Promise<number[]> {
  const names = await readdir(path.join(artifactDir, "runs", jobId, "checkpoints")).catch(() => [] as string[]);
  return names.filter((n) => /^step-\d+$/.test(n)).map((n) => Number(n.slice(5)));
}

async function* chunks(rows: unknown[]) {
  yield rows.map((r) => JSON.stringify(r)).join("\n");
}

/**
 * A project whose tasks were ranked by an annotator: the better answer (`pair`'s, by default "good
 * helpful answer") above the worse one.
 */
export async function labelledProject(deps: TestDeps, tasks: number, pair: (i: number) => { better: string; worse: string } = () => ({ better: "good helpful answer", worse: "bad rude answer" })) {
  const project = await deps.db.project.create({ data: { name: `training-${randomUUID()}`, k: 2, overlap: 1 } });
  const pairs = Array.from({ length: tasks }, (_, i) => pair(i));
  const better = new Set(pairs.map((p) => p.better));
  const rows = pairs.map((p, i) => ({ prompt: `question ${i} ${randomUUID()}`, responses: [p.better, p.worse] }));
  await importJsonl(deps.db, { projectId: project.id, layout: "tasks", chunks: chunks(rows), strict: true, filename: null, createdById: null });
  const annotator = await createUser(deps, "annotator");
  for (;;) {
    const next = await nextAssignment(deps.db, { projectId: project.id, annotatorId: annotator.id });
    if (!next) break;
    const assignment = await deps.db.assignment.findUniqueOrThrow({ where: { id: next.assignmentId }, select: { task: { select: { responses: { select: { id: true, content: true } } } } } });
    const good = assignment.task.responses.find((r) => better.has(r.content))!;
    const bad = assignment.task.responses.find((r) => r !== good)!;
    await submitAnnotation(deps.db, {
      assignmentId: next.assignmentId,
      annotatorId: annotator.id,
      idempotencyKey: randomUUID(),
      labels: { ranking: { groups: [[good.id], [bad.id]], strengths: ["clear"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
      timeSpentMs: 1000,
    });
  }
  return project;
}
