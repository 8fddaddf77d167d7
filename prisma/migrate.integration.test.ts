import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dropDatabase, recreateDatabase } from "../server/test/database-url";
import { prepareDatabase } from "../server/dev/stack";
import { applyMigrations, createMigration, MigrationError } from "./migrate";

const migrationsDir = path.join(import.meta.dirname, "migrations");

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migrations through the WASM schema engine", () => {
  const adminUrl = inject("adminDatabaseUrl");
  let url: string;
  let scratch: string;

  beforeAll(async () => {
    url = await recreateDatabase(adminUrl, "rlhf_migrate_test");
    scratch = await mkdtemp(path.join(tmpdir(), "migrations-"));
  });
  afterAll(async () => {
    await dropDatabase(adminUrl, "rlhf_migrate_test");
    await rm(scratch, { recursive: true, force: true });
  });

  it("applies every migration to an empty database, then applying again is a no-op", async () => {
    const folders = (await readdir(migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders.length).toBeGreaterThan(0);

    expect(await applyMigrations(url)).toEqual(folders);
    const recorded = await query<{ migration_name: string }>(url, "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name");
    expect(recorded.map((r) => r.migration_name)).toEqual(folders);
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(["user", "session", "project", "job", "job_event", "audit_log"]));

    expect(await applyMigrations(url)).toEqual([]);
    expect(await query(url, "SELECT 1 FROM _prisma_migrations")).toHaveLength(folders.length);
  });

  it("stops with a clear message naming the migration that failed", async () => {
    const dir = path.join(scratch, "broken");
    await cp(migrationsDir, dir, { recursive: true });
    await mkdir(path.join(dir, "29990101000000_broken"));
    await writeFile(path.join(dir, "29990101000000_broken", "migration.sql"), "ALTER TABLE no_such_table ADD COLUMN x int;");

    const err = await applyMigrations(url, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/29990101000000_broken/);
    expect((err as Error).message).toMatch(/no_such_table/);
  });

  it("start-up refuses to go on when migrations fail", async () => {
    const previous = process.env.DATABASE_URL;
    const broken = await recreateDatabase(adminUrl, "rlhf_migrate_broken");
    // A table the first migration creates already exists, so applying it fails.
    await query(broken, 'CREATE TABLE "user" (id int)');
    process.env.DATABASE_URL = broken;
    try {
      await expect(prepareDatabase({ dataDir: "unused", port: 0, database: "unused", log: () => {} })).rejects.toThrow(
        /Migrations failed, not starting/,
      );
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
      await dropDatabase(adminUrl, "rlhf_migrate_broken");
    }
  });

  it("creates a migration from schema changes, and none when the schema matches the history", async () => {
    const dir = path.join(scratch, "create");
    await cp(migrationsDir, dir, { recursive: true });
    const schemaPath = path.join(scratch, "schema.prisma");
    const schema = await readFile(path.join(import.meta.dirname, "schema.prisma"), "utf8");

    await writeFile(schemaPath, schema);
    expect(await createMigration(adminUrl, "nothing", { migrationsDir: dir, schemaPath })).toBeNull();

    await writeFile(schemaPath, `${schema}\nmodel Widget {\n  id Int @id\n  label String\n}\n`);
    const name = await createMigration(adminUrl, "add_widget", { migrationsDir: dir, schemaPath });
    expect(name).toMatch(/^\d{14}_add_widget$/);
    const sql = await readFile(path.join(dir, name!, "migration.sql"), "utf8");
    expect(sql).toContain('CREATE TABLE "Widget"');
    const shadows = await query(adminUrl, "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
    expect(shadows).toEqual([]);
  });
});
