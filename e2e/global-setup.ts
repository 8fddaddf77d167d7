// Starts the built app (`next build` first) and a worker on a fresh database, seeded with the
// demo accounts whose passwords the tests know. Returns the teardown.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { seedDemo } from "../prisma/seed";
import { minilmEncoder, smollmPolicy } from "../server/models/builtin-models";
import { createAuth } from "../server/auth";
import { createDb } from "../server/db";
import { nextBin, startService, stopServices, tsNode, waitForHttp } from "../server/dev/stack";
import { openScratchDatabase } from "../server/test/scratch-database";
import { e2ePort } from "../playwright.config";
import { demoAccounts, e2eSecret, tinyWords } from "./fixtures";

/**
 * A models folder whose built-in models are tiny ones made by the trainer package, so runs that use
 * the defaults (the training loop page) train in seconds here, offline, without `make models`.
 */
async function tinyBuiltinModels(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "rlhf-e2e-models-"));
  const encoder = JSON.stringify(path.join(dir, minilmEncoder.path));
  const policy = JSON.stringify(path.join(dir, smollmPolicy.path));
  const words = JSON.stringify(tinyWords);
  await promisify(execFile)(path.resolve(".venv/bin/python"), ["-c", `from trainer.tiny import make_tiny_causal_lm, make_tiny_encoder; make_tiny_encoder(${encoder}, ${words}); make_tiny_causal_lm(${policy}, ${words})`], {
    cwd: path.resolve("workers/trainer"),
  });
  return dir;
}

/** Fails when something already listens on the port: the tests would otherwise talk to it, not to this run's app. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
      .once("error", () => reject(new Error(`Port ${port} is in use (an earlier test run's app?); stop it before the browser tests.`)))
      .once("listening", () => probe.close(() => resolve()))
      .listen(port);
  });
}

export default async function globalSetup() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `make build` (or `npm run build`) before the browser tests.");
  await assertPortFree(e2ePort);

  const scratch = await openScratchDatabase({
    name: "rlhf_e2e",
    dataDir: ".data/e2e-postgres",
    port: Number(process.env.E2E_PGPORT ?? 54359),
    freshDataDir: true,
  });
  const { url } = scratch;
  const stopDb = scratch.stop;
  const appUrl = `http://localhost:${e2ePort}`;
  const db = createDb(url);
  await seedDemo(
    { db, auth: createAuth(db, { baseURL: appUrl, secret: e2eSecret }) },
    {
      adminEmail: demoAccounts.admin.email,
      adminPassword: demoAccounts.admin.password,
      annotatorEmail: demoAccounts.annotator.email,
      annotatorPassword: demoAccounts.annotator.password,
    },
  );
  await db.$disconnect();

  // Tests seed their own rows through the services with this URL.
  process.env.E2E_DATABASE_URL = url;
  const env = { ...process.env, DATABASE_URL: url, APP_URL: appUrl, BETTER_AUTH_SECRET: e2eSecret, LOG_LEVEL: "warn", MODELS_DIR: await tinyBuiltinModels(),
    // Every test signs in from 127.0.0.1; the production limit would throttle the suite.
    AUTH_SIGNIN_ATTEMPTS_PER_MINUTE: "1000" };
  const services = [
    startService("web", nextBin, ["start", "--port", String(e2ePort)], { ...env, NODE_ENV: "production" }),
    startService("worker", ...tsNode("workers/index.ts"), { ...env, SERVICE_NAME: "worker" }),
  ];
  try {
    await waitForHttp(`${appUrl}/api/health`, 60_000);
  } catch (err) {
    await stopServices(services);
    await stopDb();
    throw err;
  }

  return async () => {
    await stopServices(services);
    await stopDb();
  };
}
