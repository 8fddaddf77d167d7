// Integration tests run against a real PostgreSQL: the embedded one unless DATABASE_URL is set,
// in which case it must point at this machine. Each run gets a fresh, migrated database.
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../../prisma/migrate";
import { startEmbeddedDb, type EmbeddedDb } from "../dev/embedded-db";
import { assertLocalDatabaseUrl, recreateDatabase, withDatabase } from "./database-url";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    adminDatabaseUrl: string;
  }
}

let embedded: EmbeddedDb | undefined;

export async function setup(project: TestProject) {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    assertLocalDatabaseUrl(process.env.DATABASE_URL);
    adminUrl = withDatabase(process.env.DATABASE_URL, "postgres");
  } else {
    embedded = await startEmbeddedDb({ dataDir: ".data/test-postgres", port: Number(process.env.TEST_PGPORT ?? 54339), database: "postgres" });
    adminUrl = embedded.adminUrl;
  }
  const url = await recreateDatabase(adminUrl, "rlhf_test");
  await applyMigrations(url);
  project.provide("databaseUrl", url);
  project.provide("adminDatabaseUrl", adminUrl);
}

export async function teardown() {
  await embedded?.stop();
}
