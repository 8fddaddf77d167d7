import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "../db";
import { createTestDeps } from "../test/harness";
import { checkHealth } from "./service";

describe("health check", () => {
  const deps = createTestDeps();
  afterAll(() => deps.db.$disconnect());

  it("reports the database and the queue schema as reachable", async () => {
    // The queue schema exists once any pg-boss client has started against this database.
    const { createBoss } = await import("../queue");
    const boss = createBoss(deps.databaseUrl, "health-test");
    await boss.start();
    await boss.stop({ graceful: false, wait: true });
    expect(await checkHealth(deps.db)).toEqual({ ok: true, db: { ok: true }, queue: { ok: true } });
  });

  it("reports an unreachable database with its error instead of throwing", async () => {
    const down = createDb("postgresql://postgres:postgres@127.0.0.1:1/nothing");
    const report = await checkHealth(down);
    expect(report.ok).toBe(false);
    expect(report.db.ok).toBe(false);
    expect(report.db.error).toBeTruthy();
    await down.$disconnect();
  });
});
