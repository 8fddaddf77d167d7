// Shared by `make dev` and the test harnesses: a migrated database (embedded unless DATABASE_URL
// is given) and child processes that are stopped together.
import { spawn, type ChildProcess } from "node:child_process";
import { applyMigrations } from "../../prisma/migrate";
import { startEmbeddedDb } from "./embedded-db";

export type Database = { url: string; embedded: boolean; stop: () => Promise<void> };

export async function prepareDatabase(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<Database> {
  const log = opts.log ?? ((line) => console.log(line));
  let db: Database;
  if (process.env.DATABASE_URL) {
    log(`Using the database at DATABASE_URL (${redact(process.env.DATABASE_URL)}); no embedded server started.`);
    db = { url: process.env.DATABASE_URL, embedded: false, stop: async () => {} };
  } else {
    log(`Starting embedded PostgreSQL on 127.0.0.1:${opts.port} (data in ${opts.dataDir})…`);
    const embedded = await startEmbeddedDb({ dataDir: opts.dataDir, port: opts.port, database: opts.database });
    db = { url: embedded.url, embedded: true, stop: embedded.stop };
  }
  try {
    const applied = await applyMigrations(db.url);
    log(applied.length ? `Applied migrations: ${applied.join(", ")}` : "Database schema is up to date.");
  } catch (err) {
    await db.stop();
    throw new Error(`Migrations failed, not starting: ${err instanceof Error ? err.message : String(err)}`);
  }
  return db;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

export type Service = { name: string; child: ChildProcess; exited: Promise<number | null> };

/** Runs a command in its own process group, so stopping it also stops whatever it spawned. */
export function startService(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Service {
  const child = spawn(command, args, { env, stdio: "inherit", detached: true });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { name, child, exited };
}

/** SIGTERM, then SIGKILL for what is still running after the grace period. */
export async function stopServices(services: Service[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    services.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return;
      signalGroup(s.child, "SIGTERM");
      const timer = setTimeout(() => signalGroup(s.child, "SIGKILL"), graceMs);
      await s.exited;
      clearTimeout(timer);
    }),
  );
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Node with the TypeScript loader, in one process (no npx/tsx wrapper between us and it). */
export function tsNode(script: string): [string, string[]] {
  return [process.execPath, ["--import", "tsx", script]];
}

export const nextBin = "node_modules/.bin/next";
/** The JavaScript behind `nextBin`, for running it under node with flags of our own. */
export const nextScript = "node_modules/next/dist/bin/next";

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}
