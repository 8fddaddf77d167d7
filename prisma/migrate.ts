// Migrations through Prisma's WASM schema engine, so no native engine download is needed.
// Reads and writes the standard prisma/migrations/<name>/migration.sql folders and the
// _prisma_migrations table, exactly as `prisma migrate deploy` / `migrate dev --create-only` would.
import { randomUUID } from "node:crypto";
import { readFile, readdir, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine as SchemaEngineType } from "@prisma/schema-engine-wasm";

const prismaDir = path.dirname(fileURLToPath(import.meta.url));
const defaultMigrationsDir = path.join(prismaDir, "migrations");
const defaultSchemaPath = path.join(prismaDir, "schema.prisma");
const emptyFilter = { externalTables: [], externalEnums: [] };

export class MigrationError extends Error {}

/**
 * The pg adapter's own shadow database drops the database while its pool still holds a connection
 * (the drop fails and leaves it behind), so this one closes the shadow pool before dropping.
 */
class MigrationAdapterFactory extends PrismaPg {
  /** Connections the engine opened; it never closes them, and one may hold the migration lock. */
  readonly opened: { dispose(): Promise<void> }[] = [];

  constructor(private readonly clientConfig: pg.ClientConfig) {
    super(clientConfig);
  }

  override async connect() {
    const adapter = withStatementSplitter(await super.connect());
    this.opened.push(adapter);
    return adapter;
  }

  async disposeAll() {
    await Promise.all(this.opened.splice(0).map((a) => a.dispose().catch(() => {})));
  }

  override async connectToShadowDb() {
    const admin = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = withStatementSplitter(await new PrismaPg({ ...this.clientConfig, database }).connect());
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.dispose();
    };
    return shadow;
  }
}

/**
 * The statements of a migration script: split at semicolons outside quotes, dollar-quoted bodies
 * and comments. The pg adapter splits at every semicolon, which breaks a function body.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  const dollarTag = /\$[A-Za-z_]*\$/y;
  const past = (end: string, from: number) => {
    const at = script.indexOf(end, from);
    return at === -1 ? script.length : at + end.length;
  };
  let start = 0;
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    dollarTag.lastIndex = i;
    const tag = ch === "$" ? dollarTag.exec(script)?.[0] : undefined;
    if (script.startsWith("--", i)) i = past("\n", i);
    else if (script.startsWith("/*", i)) i = past("*/", i + 2);
    else if (ch === "'" || ch === '"') i = past(ch, i + 1);
    else if (tag) i = past(tag, i + tag.length);
    else if (ch === ";") {
      statements.push(script.slice(start, i));
      start = ++i;
    } else i += 1;
  }
  statements.push(script.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.length > 0);
}

type ScriptRunner = { executeScript(script: string): Promise<void>; executeRaw(query: { sql: string; args: unknown[]; argTypes: never[] }): Promise<number> };

function withStatementSplitter<T extends ScriptRunner>(adapter: T): T {
  adapter.executeScript = async (script) => {
    for (const sql of splitSqlStatements(script)) await adapter.executeRaw({ sql, args: [], argTypes: [] });
  };
  return adapter;
}

async function withEngine<T>(databaseUrl: string, schemaPath: string, fn: (engine: SchemaEngineType) => Promise<T>): Promise<T> {
  const SchemaEngine = await loadSchemaEngine();
  const schema = await readFile(schemaPath, "utf8");
  const factory = new MigrationAdapterFactory(parseIntoClientConfig(databaseUrl));
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, adapter);
  try {
    return await fn(engine);
  } catch (err) {
    throw new MigrationError(describeEngineError(err));
  } finally {
    engine.free();
    await factory.disposeAll();
  }
}

// Node cannot import .wasm as an ES module, so the bindings are wired to the instance by hand,
// as the package's own entry point does for bundlers. Loaded once, lazily: only migrations need it.
let engineModule: Promise<typeof SchemaEngineType> | undefined;

function loadSchemaEngine(): Promise<typeof SchemaEngineType> {
  engineModule ??= (async () => {
    // The engine reports Rust panics through this global; without it a panic surfaces as a hang.
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message) => {
        throw new MigrationError(`schema engine panicked: ${message}`);
      },
    };
    const bindings = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const bgPath = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = path.join(path.dirname(bgPath), "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { "./schema_engine_bg.js": bindings });
    const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start: () => void };
    bindings.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return bindings.SchemaEngine;
  })();
  return engineModule;
}

// The engine reads catalog columns of PostgreSQL's one-byte "char" type (OID 18), which the pg
// driver adapter does not map; they carry single ASCII letters, so reading them as text is exact.
const pgResult = (pg as unknown as { Result: { prototype: { addFields(fields: { dataTypeID: number }[]): void } } }).Result;
const addFields = pgResult.prototype.addFields;
pgResult.prototype.addFields = function (fields) {
  for (const field of fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
  return addFields.call(this, fields);
};

function describeEngineError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null) {
    const e = err as { message?: string; meta?: unknown };
    return e.message ?? JSON.stringify(err);
  }
  return String(err);
}

async function readMigrationList(migrationsDir = defaultMigrationsDir): Promise<MigrationList> {
  const lockfilePath = "migration_lock.toml";
  const lockContent = await readFile(path.join(migrationsDir, lockfilePath), "utf8").catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    dirs.map(async (name) => {
      const content = await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8")
        .then((value) => ({ tag: "ok" as const, value }))
        .catch((err: Error) => ({ tag: "error" as const, value: err.message }));
      return { path: name, migrationFile: { path: "migration.sql", content } };
    }),
  );
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfilePath, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** Applies every migration not yet recorded in _prisma_migrations; returns the names applied. */
export async function applyMigrations(databaseUrl: string, migrationsDir = defaultMigrationsDir): Promise<string[]> {
  const migrationsList = await readMigrationList(migrationsDir);
  return withEngine(databaseUrl, defaultSchemaPath, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: emptyFilter });
    return out.appliedMigrationNames;
  });
}

/**
 * Writes a new migration folder with the SQL that takes the migration history to the current schema.
 * The engine replays the history on a scratch (shadow) database it creates next to DATABASE_URL;
 * returns null when the schema has not changed.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  { migrationsDir = defaultMigrationsDir, schemaPath = defaultSchemaPath } = {},
): Promise<string | null> {
  if (!/^[a-z0-9_]+$/i.test(name)) throw new MigrationError(`migration name "${name}" may use only letters, digits and _`);
  const migrationsList = await readMigrationList(migrationsDir);
  const schema = await readFile(schemaPath, "utf8");
  const lockContent = migrationsList.lockfile.content ?? lockfileContent;
  return withEngine(databaseUrl, schemaPath, async (engine) => {
    const out = await engine.diff({
      from: { tag: "migrations", ...migrationsList, lockfile: { ...migrationsList.lockfile, content: lockContent } },
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: true,
      filters: emptyFilter,
    });
    if (out.exitCode !== 2 || !out.stdout) return null;
    const folder = `${timestamp(new Date())}_${name}`;
    await mkdir(path.join(migrationsDir, folder), { recursive: true });
    await writeFile(path.join(migrationsDir, folder, "migration.sql"), out.stdout);
    await writeFile(path.join(migrationsDir, "migration_lock.toml"), lockContent);
    return folder;
  });
}

const lockfileContent =
  "# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = \"postgresql\"\n";

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

async function main() {
  const [command, name] = process.argv.slice(2);
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set. Run through `make dev`, or export DATABASE_URL=postgresql://…");
    process.exit(2);
  }
  try {
    if (command === "apply") {
      const applied = await applyMigrations(url);
      console.log(applied.length ? `Applied migrations: ${applied.join(", ")}` : "Database is up to date; no migration applied.");
    } else if (command === "create") {
      if (!name) throw new MigrationError("usage: npm run db:migrate:create -- NAME");
      const created = await createMigration(url, name);
      console.log(created ? `Created prisma/migrations/${created}/migration.sql` : "Schema unchanged; no migration created.");
    } else {
      throw new MigrationError(`unknown command "${command ?? ""}"; use apply or create NAME`);
    }
  } catch (err) {
    console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
