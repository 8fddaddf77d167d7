// The review console with 100k annotations: a page of the review queue, the project dashboard and
// the quality report, each next to the hand-written SQL that reads the same rows.
//
//   node --import tsx bench/review-scale.ts [--annotations 100000] [--repeat 5]
//
// Uses DATABASE_URL when set (a scratch database is created next to it), else an embedded PostgreSQL.
import { parseArgs } from "node:util";
import pg from "pg";
import { createDb } from "../server/db";
import { projectDashboard } from "../server/quality/dashboard";
import { projectQuality } from "../server/quality/report";
import { listAnnotationsForReview } from "../server/review/service";
import { seedLabelledProject } from "../server/test/bulk-seed";
import { openScratchDatabase } from "../server/test/scratch-database";

const { values: args } = parseArgs({ options: { annotations: { type: "string", default: "100000" }, repeat: { type: "string", default: "5" } } });
const annotations = Number(args.annotations);
const repeat = Number(args.repeat);
const overlap = 2;
const tasks = Math.ceil(annotations / overlap);
const annotators = 50;

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm
  const samples = [];
  for (let i = 0; i < repeat; i++) {
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
    rows.push([
      "dashboard",
      await time(() => projectDashboard(db, { projectId: "bench" })),
      await time(() => client.query(`SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY n."timeSpentMs") FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench'`)),
    ]);
    rows.push([
      "quality report",
      await time(() => projectQuality(db, "bench")),
      await time(() => client.query(`SELECT n.id, n."taskId", n."annotatorId", n.ranking, n."promptPolicy", n.rubric, n."shownOrder" FROM annotation n JOIN task t ON t.id = n."taskId" WHERE t."projectId" = 'bench'`)),
    ]);
    console.log(`${"median of " + repeat}`.padEnd(40), "platform".padStart(10), "raw SQL".padStart(10), "ratio".padStart(8));
    for (const [name, platform, raw] of rows) {
      console.log(name.padEnd(40), `${platform.toFixed(1)} ms`.padStart(10), `${raw.toFixed(1)} ms`.padStart(10), (raw / platform).toFixed(2).padStart(8));
    }
    console.log("\nratio = raw SQL time / platform time (1.0 = as fast as the hand-written query)");
  } finally {
    await client.end();
    await db.$disconnect();
    await scratch.stop();
  }
}

await main();
