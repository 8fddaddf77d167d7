// `make dev` and Ctrl-C, as a user runs them: the real runner with its own embedded PostgreSQL, the
// web app and a worker. The terminal's Ctrl-C is SIGINT to the runner's process group; the app and
// the worker must stop first and the database last, with nothing logged at error level.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { tsNode, waitForHttp } from "./stack";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms. Output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("make dev's runner", () => {
  it("on Ctrl-C stops the web app and the worker first, then the embedded database, with no error logged", async () => {
    const dataParent = await mkdtemp(path.join(process.cwd(), ".data", "run-dev-test-"));
    const [pgPort, webPort] = [await freePort(), await freePort()];
    const env: Record<string, string | undefined> = { ...process.env, PORT: String(webPort), PGPORT: String(pgPort), DEV_PGDATA: path.join(dataParent, "pg"), LOG_LEVEL: "info" };
    delete env.DATABASE_URL;
    delete env.APP_URL;
    // A user's shell has no NODE_ENV (vitest sets "test", which `next dev` would take as a build).
    delete env.NODE_ENV;
    const [command, args] = tsNode("server/dev/run-dev.ts");
    // A process group of its own, as a terminal's foreground job has.
    const runner = spawn(command, args, { env: env as NodeJS.ProcessEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    runner.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    runner.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => runner.on("exit", (code) => resolve(code)));
    const read = () => output;
    try {
      await waitFor(() => output.includes('"msg":"worker started"'), 150_000, "The worker starting", read);
      await waitForHttp(`http://127.0.0.1:${webPort}/api/health`, 120_000);
      const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${pgPort}/rlhf`;
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      expect(Number((await client.query("SELECT count(*) AS n FROM project")).rows[0].n)).toBeGreaterThan(0);
      await client.end();

      process.kill(-runner.pid!, "SIGINT");
      await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`The runner did not exit. Output:\n${read()}`)), 60_000))]);
      expect(await exited).toBe(0);

      const appStops = output.indexOf("Stopping web app and worker");
      const workerStopped = output.indexOf('"msg":"worker stopped"');
      const dbStops = output.indexOf("Stopping embedded PostgreSQL");
      expect(appStops).toBeGreaterThan(-1);
      expect(workerStopped).toBeGreaterThan(appStops);
      expect(dbStops).toBeGreaterThan(workerStopped);
      // Nothing at error level (pino's 50) or above, and no connection cut under anyone's feet.
      expect(output).not.toMatch(/"level":(50|60)/);
      expect(output).not.toMatch(/terminating connection/);
      // The database is really gone.
      const after = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 2_000 });
      await expect(after.connect()).rejects.toThrow();
    } finally {
      // On a failure midway, the runner's own shutdown still stops the database it started.
      if (runner.exitCode === null && runner.signalCode === null) {
        process.kill(-runner.pid!, "SIGINT");
        const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 60_000))]);
        if (!stopped) process.kill(-runner.pid!, "SIGKILL");
      }
      await rm(dataParent, { recursive: true, force: true });
    }
  }, 300_000);
});
