import { describe, expect, it } from "vitest";
import { BinaryCopyReader } from "./copy-lines";

/** A binary COPY stream of one text column, as PostgreSQL writes it. */
function binaryCopy(rows: string[], extension = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(19);
  Buffer.from("PGCOPY\n\xff\r\n\0", "latin1").copy(header);
  header.writeInt32BE(extension.length, 15);
  const body = rows.map((row) => {
    const value = Buffer.from(row, "utf8");
    const frame = Buffer.alloc(6);
    frame.writeInt16BE(1, 0);
    frame.writeInt32BE(value.length, 2);
    return Buffer.concat([frame, value]);
  });
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  return Buffer.concat([header, extension, ...body, trailer]);
}

describe("BinaryCopyReader", () => {
  const rows = ['{"a":1}', "", '{"text":"é 😀 \\n"}', "x".repeat(70_000)];
  const expected = rows.map((r) => `${r}\n`).join("");

  it("gives each row as a line however the stream is cut into chunks", () => {
    const stream = binaryCopy(rows, Buffer.from("ext"));
    for (const size of [1, 2, 5, 7, 19, 64, 1000, stream.length]) {
      const reader = new BinaryCopyReader();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) out.push(reader.push(stream.subarray(at, at + size)));
      expect(Buffer.concat(out).toString("utf8"), `chunks of ${size}`).toBe(expected);
      expect(reader.ended).toBe(true);
    }
  });

  it("refuses what is not a one-column binary COPY", () => {
    expect(() => new BinaryCopyReader().push(Buffer.from("a text-format COPY line\n"))).toThrow("not a binary COPY stream");
    const twoColumns = binaryCopy(["a"]);
    twoColumns.writeInt16BE(2, 19);
    expect(() => new BinaryCopyReader().push(twoColumns)).toThrow("expected one column per row, got 2");
  });

  it("knows when the stream stopped before its trailer", () => {
    const stream = binaryCopy(rows);
    const reader = new BinaryCopyReader();
    reader.push(stream.subarray(0, stream.length - 2));
    expect(reader.ended).toBe(false);
  });
});
