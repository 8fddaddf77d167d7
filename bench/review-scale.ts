// The review console with 100k (or 1M) annotations: a page of the review queue, the project
// dashboard and the quality report, each next to the hand-written SQL that reads the same rows.
// The dashboard and the quality report read the per-task tallies, so both are timed after the
// tallies are built. The quality report is timed three ways: its first open (which builds the per-task tallies), an
// open with nothing changed, and an open after 1,000 annotations changed review state.
//
//   node --import tsx bench/review-scale.ts [--annotations 100000|1000000] [--repeat 5]
//
// Uses DATABASE_URL when set (a scratch database is created next to it), else an embedded PostgreSQL.
import { parseArgs } from "node:util";
import pg from "pg";
import { createDb } from "../server/db";
import { projectDashboard } from "../server/quality/dashboard";
import { projectQuality } from "../server/quality/report";
import { refreshQualityTallies } from "../server/quality/refresh-tallies";
import { listAnnotationsForReview } from "../server/review/service";
import { seedLabelledProject } from "../server/test/bulk-seed";
import { openScratchDatabase } from "../server/test/scratch-database";

const { values: args } = parseArgs({ options: { annotations: { type: "string", default: "100000" }, repeat: { type: "string", default: "5" } } });
const annotations = Number(args.annotations);
const repeat = Number(args.repeat);
const overlap = 2;
const tasks = Math.ceil(annotations / overlap);
const annotators = 50;

/** Median of `repeat` runs of `fn`, after one untimed warm-up run. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  return timeAfter(async () => {}, fn);
}

/** Median of `repeat` runs of `fn`, each after `prepare` (untimed). */
async function timeAfter(prepare: () => Promise<unknown>, fn: () => Promise<unknown>): Promise<number> {
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    await prepare();
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1]!;
}

async function main() {
  const scratch = await openScratchDatabase({ name: "rlhf_bench_review", dataDir: ".data/bench-postgres", port: 54369, freshDataDir: true });
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const db = createDb(scratch.url);
  try {
    const t0 = performance.now();
    await seedLabelledProject(client, { projectId: "bench", tasks, overlap, annotators });
    console.log(`seeded ${annotations} annotations on ${tasks} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const page = { projectId: "bench", sort: "createdAt" as const, direction: "desc" as const, pageSize: 50 };
    const rawPage = (offset: number, extra = "") => async () => {
      await client.query(
        `SELECT n.id, n."taskId", n."annotatorId", u.name, n."promptPolicy", n."harmCategory", n.flags, n."timeSpentMs", n."createdAt", n."reviewState", n."reviewedAt", n."reviewNote"
         FROM annotation n JOIN task t ON t.id = n."taskId" LEFT JOIN "user" u ON u.id = n."annotatorId"
         WHERE t."projectId" = 'bench' ${extra} ORDER BY n."createdAt" DESC, n.id LIMIT 50 OFFSET ${offset}`,
      );
      await client.query(`SELECT count(*) FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench' ${extra}`);
    };
    const rows: [string, number, number][] = [];
    rows.push(["review page 1", await time(() => listAnnotationsForReview(db, { ...page, page: 0 })), await time(rawPage(0))]);
    rows.push(["review page 1000", await time(() => listAnnotationsForReview(db, { ...page, page: 1000 })), await time(rawPage(50_000))]);
    rows.push([
      "review page 1, one annotator, flagged",
      await time(() => listAnnotationsForReview(db, { ...page, page: 0, annotatorId: "bench-u7", flagged: true })),
      await time(rawPage(0, `AND n."annotatorId" = 'bench-u7' AND n.flags <> '{}'`)),
    ]);
    const loadRows = await time(() => client.query(`SELECT n.id, n."taskId", n."annotatorId", n.ranking, n."promptPolicy", n.rubric, n."shownOrder" FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench'`));
    const build = performance.now();
    const { refreshed: tasksBuilt } = await refreshQualityTallies(db, "bench");
    const buildMs = performance.now() - build;
    // What autovacuum does soon after a bulk insert on a running server: the medians are then read
    // from the index alone.
    await client.query("VACUUM ANALYZE quality_time_spent, task_quality");
    // The dashboard reads the same tallies, so it is timed once they are built.
    rows.push([
      "dashboard",
      await time(() => projectDashboard(db, { projectId: "bench" })),
      await time(() => client.query(`SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY n."timeSpentMs") FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench'`)),
    ]);
    rows.push(["quality report", await time(() => projectQuality(db, "bench")), loadRows]);
    // Review work between two opens: 1,000 annotations toggle between pending and accepted.
    let round = 0;
    const review = () =>
      client.query(
        `UPDATE annotation SET "reviewState" = CASE WHEN "reviewState" = 'accepted' THEN 'pending'::"ReviewState" ELSE 'accepted' END
         WHERE id IN (SELECT n.id FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench' ORDER BY n.id OFFSET $1 LIMIT 1000)`,
        [(round++ * 7919) % Math.max(1, annotations - 1000)],
      );
    rows.push(["quality report, 1,000 annotations changed", await timeAfter(review, () => projectQuality(db, "bench")), loadRows]);
    console.log(`quality tallies built for ${tasksBuilt} tasks on first open in ${(buildMs / 1000).toFixed(1)} s\n`);
    console.log(`${"median of " + repeat}`.padEnd(44), "platform".padStart(10), "raw SQL".padStart(10), "ratio".padStart(8));
    for (const [name, platform, raw] of rows) {
      console.log(name.padEnd(44), `${platform.toFixed(1)} ms`.padStart(10), `${raw.toFixed(1)} ms`.padStart(10), (raw / platform).toFixed(2).padStart(8));
    }
    console.log("\nratio = raw SQL time / platform time (1.0 = as fast as the hand-written query)");
  } finally {
    await client.end();
    await db.$disconnect();
    await scratch.stop();
  }
}

await main();
