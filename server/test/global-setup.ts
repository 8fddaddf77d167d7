// Integration tests run against a real PostgreSQL: the embedded one unless DATABASE_URL is set,
// in which case it must point at this machine. Each run gets a fresh, migrated database, named
// TEST_DATABASE_NAME (default rlhf_test): give concurrent runs against one server different names.
import type { TestProject } from "vitest/node";
import { openScratchDatabase, type ScratchDatabase } from "./scratch-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    adminDatabaseUrl: string;
  }
}

let scratch: ScratchDatabase | undefined;

export async function setup(project: TestProject) {
  scratch = await openScratchDatabase({ name: process.env.TEST_DATABASE_NAME ?? "rlhf_test", dataDir: ".data/test-postgres", port: Number(process.env.TEST_PGPORT ?? 54339) });
  project.provide("databaseUrl", scratch.url);
  project.provide("adminDatabaseUrl", scratch.adminUrl);
}

export async function teardown() {
  await scratch?.stop();
}
