import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "../db";
import { createBoss } from "../queue";
import { createTestDeps } from "../test/harness";
import { checkHealth } from "./service";

describe("health check", () => {
  const deps = createTestDeps();
  afterAll(() => deps.db.$disconnect());

  it("reports the database and the queue as reachable", async () => {
    const boss = createBoss(deps.databaseUrl, "health-test");
    await boss.start();
    try {
      expect(await checkHealth(deps.db, () => boss.getQueues())).toEqual({ ok: true, db: { ok: true }, queue: { ok: true } });
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it("reports a queue that does not answer", async () => {
    const report = await checkHealth(deps.db, () => Promise.reject(new Error("queue down")));
    // The report is public: the kind of failure, not the error's own text (that goes to the log).
    expect(report).toEqual({ ok: false, db: { ok: true }, queue: { ok: false, error: "failed (see the server log)" } });
  });

  it("reports an unreachable database as unreachable instead of throwing", async () => {
    const down = createDb("postgresql://postgres:postgres@127.0.0.1:1/nothing");
    const report = await checkHealth(down, () => Promise.resolve());
    expect(report.ok).toBe(false);
    expect(report.db.ok).toBe(false);
    expect(report.db.error).toBe("unreachable");
    await down.$disconnect();
  });
});
