// Runs a one-column text SELECT as `COPY … TO STDOUT (FORMAT binary)` and hands back its rows as
// bytes, one per line: the server sends each value as it is (no CSV or text-format escaping to scan
// for), and the driver never decodes it into a JavaScript string.
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";

/** Settings the in-database formats rely on (see sql-pairs.ts): shortest float digits; no Gather to
 *  reorder rows; nested loops only, since a batch is a few hundred tasks each found by index where
 *  the planner would otherwise hash whole tables (every prompt, every annotation) once per batch;
 *  and no JIT, whose compiling of the long query took longer than running it (0.3 s a batch: the
 *  export of 200k pairs spent 20 s of server time compiling, 2 s building text). */
const sessionOptions = "-c extra_float_digits=1 -c max_parallel_workers_per_gather=0 -c enable_hashjoin=off -c enable_mergejoin=off -c enable_memoize=off -c jit=off";

export async function connectForCopy(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, options: sessionOptions });
  await client.connect();
  return client;
}

const signature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** The rows of a binary COPY of one non-null text column, each followed by "\n", in one buffer. */
export async function copyLines(client: pg.Client, select: string): Promise<Buffer> {
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`));
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return linesOfBinaryCopy(Buffer.concat(chunks));
}

/** Header: signature, flags (int32), extension length (int32) and extension; then per row a field
 *  count (int16, 1 here), the value's length (int32) and bytes; then a field count of -1. */
export function linesOfBinaryCopy(data: Buffer): Buffer {
  if (data.length < 19 || !data.subarray(0, 11).equals(signature)) throw new Error("not a binary COPY stream");
  let at = 19 + data.readInt32BE(15);
  const out = Buffer.allocUnsafe(data.length);
  let written = 0;
  for (;;) {
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    if (fields !== 1) throw new Error(`expected one column per row, got ${fields}`);
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0) throw new Error("a line is NULL");
    written += data.copy(out, written, at, at + length);
    out[written++] = 10;
    at += length;
  }
  return out.subarray(0, written);
}
