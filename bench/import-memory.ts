// The web process's memory while a JSONL upload streams through the import route: its resident
// set before the upload (the baseline) next to the highest one sampled during it.
//
//   node --expose-gc --import tsx bench/import-memory.ts [--upload-gb 2] [--valid-mb 32]
//
// 1. An upload of --upload-gb GB with no Content-Length, of rows the project refuses (three
//    responses where it takes two): every byte goes through the parser until IMPORT_MAX_MB
//    (1024) cuts it off with 413.
// 2. --valid-mb MB of good rows, staged and moved into the project.
//
// Uses DATABASE_URL when set (a scratch database is created next to it), else an embedded PostgreSQL.
import { parseArgs } from "node:util";
import { createApiKey } from "../server/api-keys/service";
import { createDb } from "../server/db";
import { openScratchDatabase } from "../server/test/scratch-database";

const { values: args } = parseArgs({ options: { "upload-gb": { type: "string", default: "2" }, "valid-mb": { type: "string", default: "32" } } });
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** A lazily made body of `bytes` bytes of JSON lines: nothing of it exists before it is read. */
function body(bytes: number, line: (i: number) => string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let sent = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      let chunk = "";
      while (chunk.length < 256 * 1024) chunk += `${line(i++)}\n`;
      const encoded = encoder.encode(chunk);
      sent += encoded.byteLength;
      controller.enqueue(encoded);
    },
  });
}

async function measure(name: string, run: () => Promise<Response>) {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const res = await run();
  const text = await res.text();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${name}: HTTP ${res.status} in ${seconds.toFixed(1)} s; RSS before ${mb(baseline)} MB, peak ${mb(peak)} MB, growth ${mb(peak - baseline)} MB`);
  console.log(`  answer: ${text.slice(0, 200)}`);
  return { seconds };
}

async function main() {
  const scratch = await openScratchDatabase({ name: "rlhf_bench_import", dataDir: ".data/bench-postgres", port: 54369, freshDataDir: true });
  process.env.DATABASE_URL = scratch.url;
  process.env.BETTER_AUTH_SECRET ??= "benchmark-secret-0123456789abcdefghijkl";
  process.env.API_KEY_REQUESTS_PER_MINUTE = "100000";
  process.env.LOG_LEVEL = "warn";
  const db = createDb(scratch.url);
  try {
    const project = await db.project.create({ data: { name: "bench-import", k: 2 } });
    const owner = await db.user.create({ data: { id: "bench-import-owner", name: "Bench", email: "bench-import@example.com", role: "admin" } });
    const { key } = await createApiKey(db, { name: "bench", projectIds: [project.id], scopes: ["read", "write"] }, owner.id);
    const { POST } = await import("../app/api/v1/projects/[projectId]/import/route");
    const upload = (stream: ReadableStream<Uint8Array>) =>
      POST(new Request(`http://localhost/api/v1/projects/${project.id}/import?layout=tasks`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: stream, duplex: "half" } as RequestInit), {
        params: Promise.resolve({ projectId: project.id }),
      });

    const uploadBytes = Number(args["upload-gb"]) * 1024 ** 3;
    if (uploadBytes > 0) {
      const refused = await measure(`${args["upload-gb"]} GB upload, refused rows, no Content-Length`, () =>
        upload(body(uploadBytes, (i) => JSON.stringify({ prompt: `Question number ${i}: what is a good answer here?`, responses: ["first answer", "second answer", "third answer"] }))),
      );
      console.log(`  read ${mb(1024 ** 3)} MB (IMPORT_MAX_MB) at ${(1024 / refused.seconds).toFixed(1)} MB/s before the cap`);
    }

    const validBytes = Number(args["valid-mb"]) * 1024 ** 2;
    const valid = await measure(`${args["valid-mb"]} MB of good rows, staged and committed`, () =>
      upload(body(validBytes, (i) => JSON.stringify({ prompt: `Prompt ${i}: explain something in a sentence or two.`, responses: [`An answer to ${i} that is helpful.`, `Another answer to ${i}, less so.`] }))),
    );
    const tasks = await db.task.count({ where: { projectId: project.id } });
    console.log(`  ${tasks} tasks imported, ${(tasks / valid.seconds).toFixed(0)} rows/s`);
  } finally {
    await db.$disconnect();
    await scratch.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
