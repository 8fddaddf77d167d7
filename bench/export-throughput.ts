// Export rows/s through the API route (API key, filters, records built in PostgreSQL, JSON Lines
// stream) next to `COPY (SELECT …) TO STDOUT` of the same pairs with the same text columns; the same
// records through the serialisers (checked byte-identical) and the merged aggregates beside them.
//
//   node --import tsx bench/export-throughput.ts [--pairs 200000] [--repeat 3]
//
// Uses DATABASE_URL when set (a scratch database is created next to it), else an embedded PostgreSQL.
import { createHash } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { createApiKey } from "../server/api-keys/service";
import { createDb } from "../server/db";
import { ZExportRequest } from "../server/export/filter";
import { exportChunks } from "../server/export/stream";
import { seedLabelledProject } from "../server/test/bulk-seed";
import { openScratchDatabase } from "../server/test/scratch-database";

const { values: args } = parseArgs({ options: { pairs: { type: "string", default: "200000" }, repeat: { type: "string", default: "3" } } });
const k = 4;
const tasks = Math.ceil(Number(args.pairs) / ((k * (k - 1)) / 2));
const repeat = Number(args.repeat);
const projectId = "bench-export";

async function best(fn: () => Promise<{ rows: number; bytes: number }>) {
  let fastest = { ms: Infinity, rows: 0, bytes: 0 };
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const r = await fn();
    const ms = performance.now() - t;
    if (ms < fastest.ms) fastest = { ms, ...r };
  }
  return fastest;
}

function countLines(buf: Buffer | string) {
  let n = 0;
  for (let i = buf.indexOf("\n"); i !== -1; i = buf.indexOf("\n", i + 1)) n++;
  return n;
}

async function main() {
  const scratch = await openScratchDatabase({ name: "rlhf_bench_export", dataDir: ".data/bench-postgres", port: 54369, freshDataDir: true });
  process.env.DATABASE_URL = scratch.url;
  process.env.BETTER_AUTH_SECRET ??= "benchmark-secret-0123456789abcdefghijkl";
  process.env.ARTIFACT_DIR = await mkdtemp(path.join(tmpdir(), "rlhf-bench-"));
  process.env.API_KEY_REQUESTS_PER_MINUTE = "100000";
  process.env.LOG_LEVEL = "warn";
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  const db = createDb(scratch.url);
  try {
    await seedLabelledProject(client, { projectId, tasks, k, overlap: 1, annotators: 20, responseChars: 200 });
    // A key answers only while the admin who made it is active.
    const admin = await db.user.create({ data: { id: "bench-admin", name: "Bench admin", email: "bench-admin@bench.example", role: "admin" } });
    const { key } = await createApiKey(db, { name: "bench", projectIds: [projectId] }, admin.id);
    const { GET } = await import("../app/api/v1/projects/[projectId]/export/route");

    const exportBody = async (query: string) => {
      const res = await GET(new Request(`http://localhost/api/v1/projects/${projectId}/export?${query}`, { headers: { authorization: `Bearer ${key}` } }), {
        params: Promise.resolve({ projectId }),
      });
      if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
      return res.body as unknown as AsyncIterable<Uint8Array>;
    };
    // Timed runs read the bytes as the COPY side does (count lines); the check below is untimed.
    const route = (query: string) =>
      best(async () => {
        let rows = 0;
        let bytes = 0;
        for await (const chunk of await exportBody(query)) {
          rows += countLines(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          bytes += chunk.byteLength;
        }
        return { rows, bytes };
      });
    const platform = await route("format=pairs");
    // The same records through the serialisers in this process (the path every other format takes).
    const serialiserChunks = () => exportChunks(db, { projectId, request: ZExportRequest.parse({ format: "pairs" }), inDatabase: false });
    const serialisers = await best(async () => {
      let rows = 0;
      let bytes = 0;
      for await (const chunk of serialiserChunks()) {
        rows += countLines(chunk);
        bytes += chunk.length;
      }
      return { rows, bytes };
    });
    const sha256 = async (chunks: AsyncIterable<Uint8Array>) => {
      const hash = createHash("sha256");
      for await (const chunk of chunks) hash.update(chunk);
      return hash.digest("hex");
    };
    const identical = (await sha256(await exportBody("format=pairs"))) === (await sha256(serialiserChunks()));
    const majority = await route("format=pairs&aggregate=majority");
    const bradleyTerry = await route("format=pairs&aggregate=bradley-terry");

    // The same pairs with the prompt and both responses' text, one JSON object per row.
    const copySql = `COPY (
      SELECT json_build_object('id', pp.id, 'prompt', p.messages, 'chosen', c.content, 'rejected', r.content, 'margin', pp.margin)
      FROM preference_pair pp JOIN task t ON t.id = pp."taskId" JOIN prompt p ON p.id = t."promptId"
        JOIN response c ON c.id = pp."chosenResponseId" JOIN response r ON r.id = pp."rejectedResponseId"
      WHERE t."projectId" = '${projectId}' ORDER BY pp.id) TO STDOUT`;
    const copy = await best(async () => {
      const stream = client.query(copyTo(copySql));
      let rows = 0;
      let bytes = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        rows += countLines(chunk);
        bytes += chunk.length;
      }
      return { rows, bytes };
    });

    const rate = (r: { rows: number; ms: number }) => (r.rows / r.ms) * 1000;
    console.log(`\n${tasks} tasks, best of ${repeat}`);
    const line = (name: string, r: { rows: number; bytes: number; ms: number }) =>
      console.log(`${name.padEnd(52)} ${String(r.rows).padStart(7)} rows  ${(r.bytes / 2 ** 20).toFixed(0).padStart(4)} MB  ${r.ms.toFixed(0).padStart(6)} ms  ${rate(r).toFixed(0).padStart(7)} rows/s  ratio ${(rate(r) / rate(copy)).toFixed(2)}`);
    line("COPY (SELECT json_build_object(…)) TO STDOUT", copy);
    line("GET /export?format=pairs (built in PostgreSQL)", platform);
    line("pairs through the serialisers (inDatabase: false)", serialisers);
    line("GET /export?format=pairs&aggregate=majority", majority);
    line("GET /export?format=pairs&aggregate=bradley-terry", bradleyTerry);
    console.log(`built in PostgreSQL and by the serialisers: ${identical ? "byte-identical" : "DIFFERENT"} (sha256 of both streams)`);
    if (!identical) process.exitCode = 1;
  } finally {
    await client.end();
    await db.$disconnect();
    await scratch.stop();
  }
}

await main();
