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

/** The rows of a binary COPY of one non-null text column, each followed by "\n", as the pieces
 *  they arrived in (each row copied once, into the piece where it ends). */
export async function copyLines(client: pg.Client, select: string): Promise<Buffer[]> {
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`));
  const reader = new BinaryCopyReader();
  const pieces: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines = reader.push(chunk);
    if (lines.length) pieces.push(lines);
  }
  if (!reader.ended) throw new Error("the binary COPY stream ended early");
  return pieces;
}

/**
 * Header: signature, flags (int32), extension length (int32) and extension; then per row a field
 * count (int16, 1 here), the value's length (int32) and bytes; then a field count of -1. Rows may
 * be split across chunks: what is left of one is kept for the next.
 */
export class BinaryCopyReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes the next parse needs from the start of what is pending: a long row is read once. */
  private need = 0;
  private headerRead = false;
  ended = false;

  /** The complete rows so far in this chunk, as lines. */
  push(chunk: Buffer): Buffer {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength < this.need) return Buffer.alloc(0);
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    let at = 0;
    if (!this.headerRead) {
      if (data.length < 19) return this.keep(data, 0, 19);
      if (!data.subarray(0, 11).equals(signature)) throw new Error("not a binary COPY stream");
      const header = 19 + data.readInt32BE(15);
      if (data.length < header) return this.keep(data, 0, header);
      at = header;
      this.headerRead = true;
    }
    const out = Buffer.allocUnsafe(data.length - at);
    let written = 0;
    let need = 0;
    while (!this.ended) {
      if (at + 2 > data.length) {
        need = 2;
        break;
      }
      const fields = data.readInt16BE(at);
      if (fields === -1) {
        this.ended = true;
        at += 2;
        break;
      }
      if (fields !== 1) throw new Error(`expected one column per row, got ${fields}`);
      if (at + 6 > data.length) {
        need = 6;
        break;
      }
      const length = data.readInt32BE(at + 2);
      if (length < 0) throw new Error("a line is NULL");
      if (at + 6 + length > data.length) {
        need = 6 + length;
        break;
      }
      written += data.copy(out, written, at + 6, at + 6 + length);
      out[written++] = 10;
      at += 6 + length;
    }
    this.keep(data, at, need);
    return out.subarray(0, written);
  }

  private keep(data: Buffer, from: number, need: number): Buffer {
    this.pending = from < data.length ? [data.subarray(from)] : [];
    this.pendingLength = data.length - from;
    this.need = need;
    return Buffer.alloc(0);
  }
}
