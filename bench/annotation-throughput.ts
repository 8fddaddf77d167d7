// Next-task + submit through the running server (HTTP → tRPC → services → Prisma) with 100
// concurrent simulated annotators, next to the same work done as raw SQL transactions on the same
// database. Prints throughput, p50/p99 latencies and the ratio.
//
//   make build && node --import tsx bench/annotation-throughput.ts [--annotators 100] [--seconds 20] [--think-ms 0]
//
// Uses DATABASE_URL when set (a scratch database is created next to it), else an embedded PostgreSQL.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import superjson from "superjson";
import { createAuth } from "../server/auth";
import { createDb } from "../server/db";
import { nextBin, nextScript, startService, stopServices, waitForHttp } from "../server/dev/stack";
import { importJsonl } from "../server/import/service";
import { openScratchDatabase } from "../server/test/scratch-database";
import { inviteUser } from "../server/users/service";

const { values: args } = parseArgs({
  options: {
    annotators: { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    port: { type: "string", default: "3200" },
    // Pause between an annotator's tasks: 0 measures peak throughput; a few seconds is closer to people.
    "think-ms": { type: "string", default: "0" },
    // Writes a V8 CPU profile of the server to this folder when it stops (open it in Chrome DevTools).
    "cpu-prof": { type: "string" },
  },
});
const annotators = Number(args.annotators);
const seconds = Number(args.seconds);
const port = Number(args.port);
const thinkMs = Number(args["think-ms"]);
const think = () => (thinkMs > 0 ? new Promise((r) => setTimeout(r, thinkMs * (0.5 + Math.random()))) : Promise.resolve());
const appUrl = `http://localhost:${port}`;
const secret = "benchmark-secret-0123456789abcdefghijkl";
const k = 4;

function percentile(sorted: number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type PhaseResult = { cycles: number; seconds: number; next: number[]; submit: number[]; errors: number };

function report(name: string, r: PhaseResult) {
  const next = [...r.next].sort((a, b) => a - b);
  const submit = [...r.submit].sort((a, b) => a - b);
  const fmt = (x: number) => x.toFixed(1).padStart(7);
  console.log(
    `${name.padEnd(10)} ${(r.cycles / r.seconds).toFixed(1).padStart(8)} cycles/s   next p50 ${fmt(percentile(next, 50))} ms  p99 ${fmt(percentile(next, 99))} ms   submit p50 ${fmt(percentile(submit, 50))} ms  p99 ${fmt(percentile(submit, 99))} ms   errors ${r.errors}`,
  );
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  samples.push(performance.now() - t);
  return out;
}

function labelsFor(ids: string[]) {
  const order = [...ids].sort(() => Math.random() - 0.5);
  return {
    ranking: { groups: order.map((id) => [id]), strengths: order.slice(1).map(() => "clear") },
    promptPolicy: "allowed",
    harmCategory: null,
    rubric: {},
    flags: {},
    rationale: null,
  };
}

/** Every annotator loops over `cycle` until the deadline or until it reports no work left. */
async function runPhase<A>(annotatorsOf: A[], cycle: (a: A, r: PhaseResult) => Promise<"submitted" | "retry" | "done">): Promise<PhaseResult> {
  const r: PhaseResult = { cycles: 0, seconds, next: [], submit: [], errors: 0 };
  const deadline = Date.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    annotatorsOf.map(async (a) => {
      // People do not all start at the same millisecond: with think time, starts spread over it.
      if (thinkMs > 0) await new Promise((r) => setTimeout(r, thinkMs * Math.random()));
      while (Date.now() < deadline) {
        try {
          const outcome = await cycle(a, r);
          if (outcome === "done") return;
          if (outcome === "retry") continue;
          r.cycles++;
          await think();
        } catch (err) {
          r.errors++;
          if (r.errors < 5) console.error(String(err).slice(0, 300));
        }
      }
    }),
  );
  r.seconds = (performance.now() - start) / 1000;
  return r;
}

// ---- The platform, over HTTP

async function trpc(path: string, cookie: string, input: unknown) {
  const res = await fetch(`${appUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(superjson.serialize(input)),
  });
  const body = (await res.json()) as { result?: { data: { json: unknown; meta?: unknown } }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error)}`);
  return superjson.deserialize(body.result.data as never) as never;
}

async function runPlatform(projectId: string, cookies: string[]): Promise<PhaseResult> {
  return runPhase(cookies, async (cookie, r) => {
    const view = (await timed(r.next, () => trpc("annotation.next", cookie, { projectId }))) as {
      assignmentId: string;
      responses: { id: string }[];
    } | null;
    if (!view) return "done";
    await timed(r.submit, () =>
      trpc("annotation.submit", cookie, {
        assignmentId: view.assignmentId,
        idempotencyKey: randomUUID(),
        labels: labelsFor(view.responses.map((x) => x.id)),
        timeSpentMs: 1000,
      }),
    );
    return "submitted";
  });
}

/**
 * The floor under any procedure: two anonymous calls per cycle that the server refuses before any
 * database work (HTTP, Next.js routing, tRPC and the session cookie check only).
 */
async function runHttpFloor(annotatorCount: number): Promise<PhaseResult> {
  const refused = async (path: string) => {
    const res = await fetch(`${appUrl}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`${path}: expected 401, got ${res.status}`);
  };
  return runPhase(Array.from({ length: annotatorCount }), async (_, r) => {
    await timed(r.next, () => refused("annotation.next"));
    await timed(r.submit, () => refused("annotation.submit"));
    return "submitted";
  });
}

// ---- The baseline: the same rows written by hand-written SQL transactions

async function runRawSql(url: string, projectId: string, annotatorIds: string[]): Promise<PhaseResult> {
  // The same pool size the app's Prisma adapter uses (node-postgres' default of 10).
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const tx = async <T>(fn: (c: pg.PoolClient) => Promise<T>) => {
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      await c.query("ROLLBACK");
      throw err;
    } finally {
      c.release();
    }
  };
  const result = await runPhase(annotatorIds, async (annotatorId, r) => {
    const lease = await timed(r.next, () =>
      tx(async (c) => {
        const { rows } = await c.query<{ id: string }>(
          `SELECT t.id FROM task t WHERE t."projectId" = $1 AND NOT t."isGold" AND t.rankable AND t."annotationCount" < 1
             AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a."taskId" = t.id AND a."annotatorId" = $2)
             AND t."annotationCount" + (SELECT count(*) FROM assignment a
                   WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > now()) < 1
           ORDER BY t."annotationCount" DESC, t.priority DESC, t."createdAt", t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED`,
          [projectId, annotatorId],
        );
        const taskId = rows[0]?.id;
        if (!taskId) return null;
        // The same free-slot recount after the lock that keeps the platform from over-assigning.
        const { rows: slot } = await c.query<{ free: boolean }>(
          `SELECT t."annotationCount" + (SELECT count(*) FROM assignment a WHERE a."taskId" = t.id AND a.state = 'leased' AND a."leaseExpiresAt" > now()) < 1 AS free
           FROM task t WHERE t.id = $1`,
          [taskId],
        );
        if (!slot[0]?.free) return "retry" as const;
        const ins = await c.query<{ id: string; shownOrder: string[] }>(
          `INSERT INTO assignment (id, "taskId", "annotatorId", state, "leaseExpiresAt", "shownOrder", "createdAt")
           SELECT $1, $2, $3, 'leased', now() + interval '15 minutes', array_agg(id ORDER BY random()), now()
           FROM response WHERE "taskId" = $2
           RETURNING id, "shownOrder"`,
          [randomUUID(), taskId, annotatorId],
        );
        return { taskId, ...ins.rows[0]! };
      }),
    );
    if (!lease) return "done";
    if (lease === "retry") return "retry";
    await timed(r.submit, () =>
      tx(async (c) => {
        await c.query(`SELECT id FROM assignment WHERE id = $1 FOR UPDATE`, [lease.id]);
        const order = [...lease.shownOrder].sort(() => Math.random() - 0.5);
        const annotationId = randomUUID();
        await c.query(
          `INSERT INTO annotation (id, "taskId", "assignmentId", "annotatorId", origin, "idempotencyKey", ranking, strengths, "shownOrder", "promptPolicy", rubric, flags, "timeSpentMs", "createdAt")
           VALUES ($1, $2, $3, $4, 'human', $5, $6, $7, $8, 'allowed', '{}', '{}', 1000, now())`,
          [annotationId, lease.taskId, lease.id, annotatorId, randomUUID(), JSON.stringify(order.map((id) => [id])), order.slice(1).map(() => "clear"), lease.shownOrder],
        );
        const pairs: unknown[] = [];
        for (let i = 0; i < order.length; i++)
          for (let j = i + 1; j < order.length; j++) pairs.push([annotationId, lease.taskId, order[i], order[j], Math.min(1, (j - i) * (2 / 3)), "clear", i, j]);
        const values = pairs.map((_, n) => `($${n * 8 + 1}, $${n * 8 + 2}, $${n * 8 + 3}, $${n * 8 + 4}, $${n * 8 + 5}, $${n * 8 + 6}, $${n * 8 + 7}, $${n * 8 + 8}, now())`);
        await c.query(
          `INSERT INTO preference_pair ("annotationId", "taskId", "chosenResponseId", "rejectedResponseId", margin, strength, "chosenRank", "rejectedRank", "createdAt") VALUES ${values.join(", ")}`,
          pairs.flat(),
        );
        await c.query(`UPDATE assignment SET state = 'submitted', "finishedAt" = now() WHERE id = $1`, [lease.id]);
        await c.query(`UPDATE task SET "annotationCount" = "annotationCount" + 1 WHERE id = $1`, [lease.taskId]);
      }),
    );
    return "submitted";
  });
  await pool.end();
  return result;
}

// ---- Setup

async function main() {
  const scratch = await openScratchDatabase({ name: "rlhf_bench", dataDir: ".data/bench-postgres", port: 54369, freshDataDir: true });
  const { url } = scratch;
  const stopDb = scratch.stop;
  const db = createDb(url);
  const auth = createAuth(db, { baseURL: appUrl, secret });

  // Enough tasks that nobody runs out within the measured time (overlap 1).
  const tasks = 30_000;
  const projectIds: string[] = [];
  for (const name of ["platform", "baseline"]) {
    const p = await db.project.create({ data: { name: `bench-${name}`, k, overlap: 1 } });
    const rows = Array.from({ length: tasks }, (_, i) => JSON.stringify({ prompt: `${name} prompt ${i}`, responses: [1, 2, 3, 4].map((j) => `answer ${j} to ${i}`) }));
    await importJsonl(db, { projectId: p.id, layout: "tasks", chunks: (async function* () { yield rows.join("\n"); })(), strict: true, filename: null, createdById: null });
    projectIds.push(p.id);
  }
  const users = [];
  for (let i = 0; i < annotators; i++) {
    const password = `bench-password-${i}`;
    const { user } = await inviteUser({ db, auth }, { email: `bench-${i}@bench.example`, name: `Bench ${i}`, role: "annotator", password }, null);
    users.push({ ...user, password });
  }
  // Annotators work only on the projects they are members of.
  for (const projectId of projectIds) {
    await db.projectMember.createMany({ data: users.map((u) => ({ projectId, userId: u.id })) });
  }

  const env = {
    ...process.env,
    DATABASE_URL: url,
    APP_URL: appUrl,
    BETTER_AUTH_SECRET: secret,
    LOG_LEVEL: "warn",
    NODE_ENV: "production" as const,
    AUTH_SIGNIN_ATTEMPTS_PER_MINUTE: "100000",
    // The HTTP floor phase calls without a session, all from one address.
    ANONYMOUS_CALLS_PER_MINUTE: "100000000",
  };
  const server = args["cpu-prof"]
    ? startService("web", process.execPath, ["--cpu-prof", `--cpu-prof-dir=${args["cpu-prof"]}`, nextScript, "start", "--port", String(port)], env)
    : startService("web", nextBin, ["start", "--port", String(port)], env);
  try {
    await waitForHttp(`${appUrl}/api/health`, 60_000);
    const cookies = await Promise.all(
      users.map(async (u) => {
        const res = await fetch(`${appUrl}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: appUrl },
          body: JSON.stringify({ email: u.email, password: u.password }),
        });
        if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
        return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      }),
    );
    // Warm the server (JIT, connection pool) before measuring.
    await runPlatform(projectIds[0]!, cookies.slice(0, 10)).catch(() => undefined);

    console.log(`\n${annotators} concurrent annotators, ${seconds} s per phase, think time ${thinkMs} ms, K=${k} (6 pairs per submit)\n`);
    const platform = await runPlatform(projectIds[0]!, cookies);
    const raw = await runRawSql(url, projectIds[1]!, users.map((u) => u.id));
    const floor = await runHttpFloor(annotators);
    report("platform", platform);
    report("raw SQL", raw);
    report("HTTP floor", floor);
    const rate = (r: PhaseResult) => r.cycles / r.seconds;
    console.log(`\nratio platform / raw SQL throughput: ${(rate(platform) / rate(raw)).toFixed(2)}`);
    console.log(`ratio HTTP floor / raw SQL throughput: ${(rate(floor) / rate(raw)).toFixed(2)} (the most any HTTP procedure pair could reach here)`);
    for (const [name, id] of [["platform", projectIds[0]!], ["raw SQL", projectIds[1]!]] as const) {
      const [row] = await db.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM (SELECT a."taskId" FROM annotation a JOIN task t ON t.id = a."taskId"
          WHERE t."projectId" = ${id} GROUP BY a."taskId" HAVING count(*) > 1) d`;
      console.log(`${name}: tasks with more than one annotation (overlap 1): ${Number(row!.n)}`);
    }
  } finally {
    await stopServices([server]);
    await db.$disconnect();
    await stopDb();
  }
}

await main();
