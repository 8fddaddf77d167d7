// serve end to end: real PostgreSQL, a real worker running the trainer's model server on a tiny
// model, and chats through the web app's Playground route.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cancelJob, enqueue, getJobOrThrow } from "../../server/jobs/service";
import { smollmPolicy } from "../../server/models/builtin-models";
import { createBoss } from "../../server/queue";
import type { ChatStreamEvent } from "../../server/serving/chat";
import { ZServeResult } from "../../server/serving/served-models";
import type { StoragePaths } from "../../server/storage";
import { createTestDeps, createUser, signIn, type TestDeps } from "../../server/test/harness";
import { waitFor } from "../training/test-fixtures";
import { trainerDir } from "../training/trainer-process";
import { startWorker, type RunningWorker } from "../worker";

const python = path.resolve(".venv/bin/python");
const maxTokens = 6;
const perMinute = 4;
// The routes use the app's own database and auth, configured like the tests'.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.BETTER_AUTH_SECRET ??= "integration-tests-secret-0123456789abcdef";
process.env.PLAYGROUND_MAX_TOKENS = String(maxTokens);
process.env.PLAYGROUND_REQUESTS_PER_MINUTE = String(perMinute);

const chatRoute = await import("../../app/api/playground/chat/route");
const modelsRoute = await import("../../app/api/playground/models/route");

const chatRequest = (cookie: string | null, body: unknown) =>
  chatRoute.POST(new Request("http://localhost/api/playground/chat", { method: "POST", headers: cookie ? { cookie, "content-type": "application/json" } : {}, body: JSON.stringify(body) }));

async function chatEvents(res: Response): Promise<ChatStreamEvent[]> {
  return (await res.text())
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ChatStreamEvent);
}

describe("serve", () => {
  let deps: TestDeps;
  let worker: RunningWorker;
  let sender: ReturnType<typeof createBoss>;
  let paths: StoragePaths;
  let adminId: string;
  let cookie: string;
  let jobId: string;
  let url: string;

  beforeAll(async () => {
    deps = createTestDeps();
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-serve-"));
    paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await mkdir(paths.modelsDir, { recursive: true });
    // The built-in policy's folder holds a tiny chat model, so the job serves it in seconds.
    await promisify(execFile)(python, ["-c", `from trainer.tiny import make_tiny_causal_lm; make_tiny_causal_lm(${JSON.stringify(path.join(paths.modelsDir, smollmPolicy.path))}, ["cat", "dog", "sure"], seed=1)`], { cwd: trainerDir() });
    const admin = await createUser(deps, "admin");
    adminId = admin.id;
    cookie = await signIn(deps, admin.email, admin.password);
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
    worker = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "serve-worker", heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 10, paths, trainerPython: python });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  const queue = (modelVersionId: string) => enqueue({ db: deps.db, boss: sender, paths }, "serve", { modelVersionId }, { createdById: adminId });

  it("serves a model version until cancelled: the job records the server's address and load", async () => {
    // The built-in rows are made the first time a default is needed.
    await deps.db.modelVersion.upsert({ where: { id: smollmPolicy.id }, create: { id: smollmPolicy.id, name: smollmPolicy.name, kind: "policy", path: smollmPolicy.path, builtin: true }, update: {} });
    jobId = (await queue(smollmPolicy.id)).id;
    const job = await waitFor("the model server's address", () => getJobOrThrow(deps.db, jobId), (j) => j.state !== "queued" && (j.state !== "running" || ZServeResult.safeParse(j.result).data?.url != null), 90_000);
    expect(job.state).toBe("running");
    const result = ZServeResult.parse(job.result);
    expect(result).toMatchObject({ modelVersionId: smollmPolicy.id, modelName: smollmPolicy.name, backend: "transformers" });
    url = result.url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(((await (await fetch(`${url}/health`)).json()) as { status: string }).status).toBe("ok");
  });

  it("refuses a second serve job for the same model version before anything is queued", async () => {
    const before = await deps.db.job.count();
    await expect(queue(smollmPolicy.id)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining(`already served (job ${jobId}, running)`) });
    expect(await deps.db.job.count()).toBe(before);
  });

  it("lists the served model to Playground users without its address", async () => {
    const res = await modelsRoute.GET(new Request("http://localhost/api/playground/models", { headers: { cookie } }));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).models).toEqual([expect.objectContaining({ modelVersionId: smollmPolicy.id, name: smollmPolicy.name, jobId, ready: true })]);
    expect(text).not.toContain(new URL(url).port);
  });

  it("chats through the web app's route, multi-turn, streamed as text deltas", async () => {
    const messages = [
      { role: "system", content: "sure" },
      { role: "user", content: "cat" },
      { role: "assistant", content: "dog" },
      { role: "user", content: "cat dog" },
    ];
    const res = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages, temperature: 0, maxTokens: 4 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const events = await chatEvents(res);
    const done = events.at(-1);
    expect(done).toMatchObject({ type: "done" });
    if (done?.type !== "done") throw new Error("no done event");
    expect(done.completionTokens).toBeGreaterThanOrEqual(1);
    expect(done.completionTokens).toBeLessThanOrEqual(4);
    expect(done.promptTokens).toBeGreaterThan(8);
    expect(events.slice(0, -1).every((e) => e.type === "delta")).toBe(true);
    // Greedy: the same turn through the model server directly gives the same text.
    const direct = (await (await fetch(`${url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages, temperature: 0, max_tokens: 4 }) })).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(events.flatMap((e) => (e.type === "delta" ? [e.text] : [])).join("")).toBe(direct.choices[0]!.message.content);
    // The worker's beat carries the server's load into the job.
    await waitFor("the load in the job's result", () => getJobOrThrow(deps.db, jobId), (j) => (ZServeResult.parse(j.result).load?.requests_served ?? 0) >= 2, 10_000);
  });

  it("enforces the maximum tokens per request and refuses bad input with a message, forwarding nothing", async () => {
    const served = async () => ((await (await fetch(`${url}/health`)).json()) as { load: { requests_served: number } }).load.requests_served;
    const before = await served();
    const tooMany = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }], maxTokens: maxTokens + 1 });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: { message: string } }).error.message).toBe(`maxTokens ${maxTokens + 1} is above the Playground's limit of ${maxTokens} tokens per answer`);
    const endsWithAnswer = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }, { role: "assistant", content: "dog" }] });
    expect(endsWithAnswer.status).toBe(400);
    expect(await endsWithAnswer.text()).toContain("the last message must be the user's");
    const notServed = await chatRequest(cookie, { modelVersionId: "00000000-0000-4000-8000-00000000abcd", messages: [{ role: "user", content: "cat" }] });
    expect(notServed.status).toBe(404);
    expect(await served()).toBe(before);
    // Without maxTokens, an answer is at most the limit.
    const res = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "dog" }], temperature: 1 });
    const done = (await chatEvents(res)).at(-1);
    expect(done).toMatchObject({ type: "done" });
    expect(done?.type === "done" && done.completionTokens).toBeLessThanOrEqual(maxTokens);
  });

  it("limits each user's chat requests per minute, and admits only reviewers, admins and red-teamers", async () => {
    const reviewer = await createUser(deps, "reviewer");
    const reviewerCookie = await signIn(deps, reviewer.email, reviewer.password);
    const ask = () => chatRequest(reviewerCookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }], maxTokens: 1 });
    for (let i = 0; i < perMinute; i++) {
      const ok = await ask();
      expect(ok.status).toBe(200);
      await ok.text();
    }
    const limited = await ask();
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`You have sent ${perMinute} chat requests this minute; retry in \\d+ s`));
    // Another user's window is their own.
    const other = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }], maxTokens: 1 });
    expect(other.status).toBe(200);
    await other.text();

    const annotator = await createUser(deps, "annotator");
    const annotatorCookie = await signIn(deps, annotator.email, annotator.password);
    const asAnnotator = () => chatRequest(annotatorCookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }], maxTokens: 1 });
    expect((await asAnnotator()).status).toBe(403);
    expect((await modelsRoute.GET(new Request("http://localhost/api/playground/models", { headers: { cookie: annotatorCookie } }))).status).toBe(403);
    expect((await chatRequest(null, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }] })).status).toBe(401);
    await deps.db.user.update({ where: { id: annotator.id }, data: { redTeamer: true } });
    const redTeamer = await asAnnotator();
    expect(redTeamer.status).toBe(200);
    await redTeamer.text();
  });

  it("stops the model server when the job is cancelled: its port no longer answers", async () => {
    await cancelJob(deps.db, jobId, { userId: adminId });
    await waitFor(
      "the model server to stop",
      () => fetch(`${url}/health`).then(() => "up", () => "down"),
      (s) => s === "down",
      30_000,
    );
    const job = await getJobOrThrow(deps.db, jobId);
    expect(job.state).toBe("cancelled");
    const res = await chatRequest(cookie, { modelVersionId: smollmPolicy.id, messages: [{ role: "user", content: "cat" }] });
    expect(res.status).toBe(404);
    // Once it is stopped, the model version may be served again.
    const again = await queue(smollmPolicy.id);
    await cancelJob(deps.db, again.id, { userId: adminId });
  });
});

describe("serve after its worker dies", () => {
  let deps: TestDeps;
  let sender: ReturnType<typeof createBoss>;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    deps = createTestDeps();
    sender = createBoss(deps.databaseUrl, "rlhf-test-sender");
    await sender.start();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await sender?.stop({ graceful: false, wait: true });
    await deps.db.$disconnect();
  });

  it("is taken back and started again on another worker; the dead worker's server stops", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "rlhf-serve-death-"));
    const paths = { artifactDir: path.join(root, "artifacts"), modelsDir: path.join(root, "models") };
    await promisify(execFile)(python, ["-c", `from trainer.tiny import make_tiny_causal_lm; make_tiny_causal_lm(${JSON.stringify(path.join(paths.modelsDir, smollmPolicy.path))}, ["cat"], seed=2)`], { cwd: trainerDir() });
    // The first worker is its own process, so it can die as a killed worker does: no stop, no last word.
    const doomed = spawn(process.execPath, ["--import", "tsx", "workers/index.ts"], {
      env: { ...process.env, DATABASE_URL: deps.databaseUrl, WORKER_ID: "doomed-worker", ARTIFACT_DIR: paths.artifactDir, MODELS_DIR: paths.modelsDir, TRAINER_PYTHON: python, LOG_LEVEL: "warn" },
      stdio: "ignore",
    });
    cleanup.push(async () => doomed.kill("SIGKILL"));
    await deps.db.modelVersion.upsert({ where: { id: smollmPolicy.id }, create: { id: smollmPolicy.id, name: smollmPolicy.name, kind: "policy", path: smollmPolicy.path, builtin: true }, update: {} });
    const { id: jobId } = await enqueue({ db: deps.db, boss: sender, paths }, "serve", { modelVersionId: smollmPolicy.id });
    const urlOf = (j: { result: unknown }) => ZServeResult.safeParse(j.result).data?.url ?? null;
    const first = await waitFor("the first server", () => getJobOrThrow(deps.db, jobId), (j) => j.state === "running" && urlOf(j) !== null, 90_000);
    expect(first.workerId).toBe("doomed-worker");
    const firstUrl = urlOf(first)!;

    doomed.kill("SIGKILL");
    // Its trainer watches the worker's pid and stops once it is gone.
    await waitFor("the dead worker's server to stop", () => fetch(`${firstUrl}/health`).then(() => "up", () => "down"), (s) => s === "down", 30_000);

    const rescuer = await startWorker({ databaseUrl: deps.databaseUrl, workerId: "rescuer", heartbeatMs: 200, pollingIntervalSeconds: 0.5, heartbeatTimeoutSeconds: 3, paths, trainerPython: python });
    cleanup.push(() => rescuer.stop());
    const second = await waitFor("the server to start again", () => getJobOrThrow(deps.db, jobId), (j) => j.workerId === "rescuer" && j.state === "running" && urlOf(j) !== null && urlOf(j) !== firstUrl, 90_000);
    expect(second.attempt).toBe(2);
    expect(second.events.map((e) => e.to)).toEqual(["queued", "running", "queued", "running"]);
    expect(second.events[2]?.message).toContain("doomed-worker stopped responding");
    expect(((await (await fetch(`${urlOf(second)}/health`)).json()) as { status: string }).status).toBe("ok");
    await cancelJob(deps.db, jobId);
    await waitFor("the second server to stop", () => fetch(`${urlOf(second)}/health`).then(() => "up", () => "down"), (s) => s === "down", 30_000);
    // Its waits allow 240 s in all; it takes 17 s on a quiet machine, past 60 s on a loaded one.
  }, 300_000);
});
