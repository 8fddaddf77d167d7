import PgBoss from "pg-boss";
import { getEnv } from "./env";
import { logger } from "./logger";

export function createBoss(databaseUrl: string, applicationName: string): PgBoss {
  const boss = new PgBoss({ connectionString: databaseUrl, application_name: applicationName, max: 4 });
  boss.on("error", (err) => logger.error({ error: err.message }, "queue error"));
  return boss;
}

/** A queue client, or how to open one: the web tier opens its own only when there is a job to send. */
export type BossSource = PgBoss | (() => Promise<PgBoss>);

export function openBoss(source: BossSource): Promise<PgBoss> {
  return typeof source === "function" ? source() : Promise.resolve(source);
}

const globalForBoss = globalThis as unknown as { boss?: Promise<PgBoss> };

/** The web tier's queue client, started once per process. */
export function getBoss(): Promise<PgBoss> {
  globalForBoss.boss ??= (async () => {
    const boss = createBoss(getEnv().DATABASE_URL, "rlhf-web");
    await boss.start();
    return boss;
  })().catch((err) => {
    globalForBoss.boss = undefined;
    throw err;
  });
  return globalForBoss.boss;
}
