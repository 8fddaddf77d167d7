// A fresh, migrated database for tests and benchmarks: on the local server named by DATABASE_URL
// when set, else on an embedded PostgreSQL started for the run.
import { rm } from "node:fs/promises";
import { applyMigrations } from "../../prisma/migrate";
import { startEmbeddedDb } from "../dev/embedded-db";
import { assertLocalDatabaseUrl, recreateDatabase, withDatabase } from "./database-url";

export type ScratchDatabase = { url: string; adminUrl: string; stop: () => Promise<void> };

export async function openScratchDatabase(opts: {
  name: string;
  dataDir: string;
  port: number;
  /** Start the embedded server from an empty data folder. */
  freshDataDir?: boolean;
}): Promise<ScratchDatabase> {
  let adminUrl: string;
  let stop = async () => {};
  if (process.env.DATABASE_URL) {
    assertLocalDatabaseUrl(process.env.DATABASE_URL);
    adminUrl = withDatabase(process.env.DATABASE_URL, "postgres");
  } else {
    if (opts.freshDataDir) await rm(opts.dataDir, { recursive: true, force: true });
    const embedded = await startEmbeddedDb({ dataDir: opts.dataDir, port: opts.port, database: "postgres" });
    adminUrl = embedded.adminUrl;
    stop = embedded.stop;
  }
  const url = await recreateDatabase(adminUrl, opts.name);
  await applyMigrations(url);
  return { url, adminUrl, stop };
}
