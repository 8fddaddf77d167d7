import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";
import { getEnv } from "./env";

export type Db = PrismaClient;

const databaseUrls = new WeakMap<Db, string>();

export function createDb(databaseUrl: string): Db {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  databaseUrls.set(db, databaseUrl);
  return db;
}

/** The database a client was made for, for work that needs a connection of its own (COPY). */
export function databaseUrlOf(db: Db): string {
  const url = databaseUrls.get(db);
  if (!url) throw new Error("this database client was not made by createDb");
  return url;
}

// One client per process; kept on globalThis so Next.js hot reloads do not open new pools.
const globalForDb = globalThis as unknown as { db?: Db };

export function getDb(): Db {
  globalForDb.db ??= createDb(getEnv().DATABASE_URL);
  return globalForDb.db;
}
