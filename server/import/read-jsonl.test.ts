import { describe, expect, it } from "vitest";
import { detectLayout, type JsonlLayout, type ParsedLine, parseJsonl } from "./read-jsonl";

async function* from<T>(chunks: T[]): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk;
}

async function collect(
  chunks: (Uint8Array | string)[],
  layout: JsonlLayout = "tasks",
  maxLineBytes?: number,
): Promise<ParsedLine[]> {
  const results: ParsedLine[] = [];
  for await (const result of parseJsonl(from(chunks), layout, { maxLineBytes })) results.push(result);
  return results;
}

// What a result says, without the hash and defaults, so expectations stay readable.
function summary(results: ParsedLine[]) {
  return results.map((r) =>
    r.ok ? { line: r.line, prompt: r.record.prompt.map((m) => m.content), meta: r.record.meta } : r,
  );
}

const input = [
  `{"prompt":"Café?","responses":["日本","🦜 emoji"]}\r\n`,
  `\n`,
  `{not json\n`,
  `{"prompt":"${"é".repeat(70)}","responses":["a","b"]}\n`,
  `  \t \r\n`,
  `{"prompt":"x","responses":["only one"]}\n`,
  `{"prompt":"日本","responses":["a","b"],"meta":{"k":"🙂"}}`,
].join("");
const bytes = new TextEncoder().encode(input);
const maxLineBytes = 100;

function checkExpected(results: ParsedLine[]) {
  expect(summary(results)).toEqual([
    { line: 1, prompt: ["Café?"], meta: {} },
    { line: 3, ok: false, error: expect.stringMatching(/^invalid JSON: /) },
    { line: 4, ok: false, error: "line is longer than 100 bytes" },
    { line: 6, ok: false, error: "responses: expected 2 to 16 items" },
    { line: 7, prompt: ["日本"], meta: { k: "🙂" } },
  ]);
}

describe("parseJsonl", () => {
  it("reports each non-blank line with its 1-based number", async () => {
    checkExpected(await collect([bytes], "tasks", maxLineBytes));
  });

  it("gives the same results wherever the byte stream is split", async () => {
    for (let i = 0; i <= bytes.length; i++) {
      checkExpected(await collect([bytes.slice(0, i), bytes.slice(i)], "tasks", maxLineBytes));
    }
    checkExpected(await collect(Array.from(bytes, (b) => Uint8Array.of(b)), "tasks", maxLineBytes));
  });

  it("gives the same results wherever a string stream is split, even inside a surrogate pair", async () => {
    for (let i = 0; i <= input.length; i++) {
      checkExpected(await collect([input.slice(0, i), input.slice(i)], "tasks", maxLineBytes));
    }
    checkExpected(await collect(Array.from(input), "tasks", maxLineBytes));
  });

  it("counts the limit in bytes, excluding the line ending", async () => {
    const row = (pad: string) => `{"prompt":"${pad}","responses":["a","b"],"meta":{}}`;
    const base = new TextEncoder().encode(row("")).length;
    const exact = row("日".repeat(10)); // 30 bytes of padding
    expect(summary(await collect([`${exact}\r\n`], "tasks", base + 30))).toEqual([
      { line: 1, prompt: ["日".repeat(10)], meta: {} },
    ]);
    expect(await collect([`${exact}\r\n`], "tasks", base + 29)).toEqual([
      { line: 1, ok: false, error: `line is longer than ${base + 29} bytes` },
    ]);
  });

  it("skips an over-long line arriving in many chunks and goes on with the next", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const chunks = [...Array.from({ length: 40 }, () => chunk), `\n{"prompt":"p","responses":["a","b"]}\n`];
    const results = await collect(chunks, "tasks");
    expect(summary(results)).toEqual([
      { line: 1, ok: false, error: "line is longer than 1048576 bytes" },
      { line: 2, prompt: ["p"], meta: {} },
    ]);
  });

  it("yields nothing for empty input or only blank lines", async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect(["\n\r\n  \n"])).toEqual([]);
  });

  it("parses rows with the requested layout", async () => {
    const pair = JSON.stringify({ prompt: "q", chosen: "a", rejected: "b" });
    const hh = JSON.stringify({ chosen: "\n\nHuman: q\n\nAssistant: a", rejected: "\n\nHuman: q\n\nAssistant: b" });
    const [fromPairs] = await collect([pair], "pairs");
    const [fromHh] = await collect([hh], "hh");
    expect(fromPairs?.ok && fromPairs.record.preference).toEqual({ order: [0, 1], margin: null });
    expect(fromHh?.ok && fromHh.record.contentHash).toBe(fromPairs?.ok && fromPairs.record.contentHash);
    expect(await collect([pair], "hh")).toEqual([
      { line: 1, ok: false, error: String.raw`chosen: expected the text to start with "\n\nHuman:"` },
    ]);
  });
});

describe("detectLayout", () => {
  it("recognises each layout from its first row", () => {
    expect(detectLayout({ prompt: "q", responses: ["a", "b"] })).toBe("tasks");
    expect(detectLayout({ prompt: [], chosen: [], rejected: [] })).toBe("pairs");
    expect(detectLayout({ prompt: "q", chosen: "a", rejected: "b" })).toBe("pairs");
    expect(detectLayout({ chosen: "\n\nHuman: q", rejected: "\n\nHuman: q" })).toBe("hh");
  });

  it("returns null for anything else", () => {
    expect(detectLayout(null)).toBeNull();
    expect(detectLayout([{ responses: [] }])).toBeNull();
    expect(detectLayout({ prompt: "q" })).toBeNull();
    expect(detectLayout({ chosen: [], rejected: [] })).toBeNull();
    expect(detectLayout({ prompt: "q", chosen: 1, rejected: "b" })).toBeNull();
  });
});

describe("text that cannot be stored", () => {
  it("reports NUL characters, lone surrogates and invalid UTF-8 by line and field, and keeps the other rows", async () => {
    const good = `{"prompt":"fine","responses":["a","b"]}\n`;
    const results = await collect([
      good,
      `{"prompt":"escaped \\u0000 nul","responses":["a","b"]}\n`,
      `{"prompt": \u0000, "responses":["a","b"]}\n`,
      `{"prompt":"x","responses":["a","\\ud800 alone"]}\n`,
      `{"prompt":"x","responses":["a","b"],"meta":{"k\\u0000ey":1}}\n`,
      new Uint8Array([...Buffer.from(`{"prompt":"caf`), 0xe9, ...Buffer.from(`","responses":["a","b"]}\n`)]),
      good,
    ]);
    const errors = results.filter((r) => !r.ok);
    expect(results.filter((r) => r.ok).map((r) => r.line)).toEqual([1, 7]);
    expect(errors).toEqual([
      { line: 2, ok: false, error: "prompt: contains a NUL character (U+0000), which cannot be stored" },
      { line: 3, ok: false, error: expect.stringMatching(/^invalid JSON: .*\\u0000/) },
      { line: 4, ok: false, error: "responses.1: contains a lone UTF-16 surrogate (U+D800), which is not valid Unicode" },
      { line: 5, ok: false, error: "meta (a key): contains a NUL character (U+0000), which cannot be stored" },
      { line: 6, ok: false, error: "the line is not valid UTF-8 (save the file as UTF-8)" },
    ]);
    for (const e of errors) expect(e.ok ? "" : e.error).not.toMatch(/\u0000/);
  });
});
