// Run as root (as in most containers) from a checkout the postgres user cannot enter, the embedded
// PostgreSQL still starts: its data goes where that user can reach it, and the log says where.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startEmbeddedDb } from "./embedded-db";

describe.runIf(process.getuid?.() === 0)("embedded PostgreSQL from a private folder", () => {
  it("starts from inside a 0700 folder and says where its data went", async () => {
    const privateDir = await mkdtemp(path.join(tmpdir(), "rlhf-private-"));
    await chmod(privateDir, 0o700);
    const lines: string[] = [];
    const db = await startEmbeddedDb({ dataDir: path.join(privateDir, "checkout", ".data", "pg"), port: 54414, database: "private", log: (l) => lines.push(l) });
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      await client.end();
      expect(lines.find((l) => l.includes("cannot enter a folder above"))).toMatch(/keeps its data in .*rlhf-studio-[0-9a-f]{12}/);
    } finally {
      await db.stop();
      await rm(privateDir, { recursive: true, force: true });
      const moved = /keeps its data in (\S+) instead/.exec(lines.join("\n"))?.[1];
      if (moved) await rm(path.dirname(moved), { recursive: true, force: true });
    }
  }, 120_000);
});
