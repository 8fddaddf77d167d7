import { describeUnstorable, escapeUnstorable, findUnstorable } from "../text/storable";
import type { ImportRecord } from "./import-record";
import { ImportRowError } from "./import-row-error";
import { parseHhRow } from "./parse-hh-row";
import { parseKtoRow } from "./parse-kto-row";
import { parsePairsRow } from "./parse-pairs-row";
import { parseTasksRow } from "./parse-tasks-row";

export const jsonlLayouts = ["tasks", "pairs", "hh", "kto"] as const;
export type JsonlLayout = (typeof jsonlLayouts)[number];

export type ParsedLine = { line: number; ok: true; record: ImportRecord } | { line: number; ok: false; error: string };

export const defaultMaxLineBytes = 1024 * 1024;

const rowParsers: Record<JsonlLayout, (value: unknown) => ImportRecord> = {
  tasks: parseTasksRow,
  pairs: parsePairsRow,
  hh: parseHhRow,
  kto: parseKtoRow,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Guesses the layout from the first row of a file; null when it matches none. */
export function detectLayout(firstValue: unknown): JsonlLayout | null {
  if (!isRecord(firstValue)) return null;
  if (Array.isArray(firstValue.responses)) return "tasks";
  const { prompt, chosen, rejected, completion } = firstValue;
  const isSide = (side: unknown) => typeof side === "string" || Array.isArray(side);
  if (prompt !== undefined && isSide(completion) && typeof firstValue.label === "boolean") return "kto";
  if (!isSide(chosen) || !isSide(rejected)) return null;
  if (prompt !== undefined) return "pairs";
  return typeof chosen === "string" && typeof rejected === "string" ? "hh" : null;
}

/**
 * Strings are encoded so lines can be split on bytes; a high surrogate at the end of a string
 * chunk waits for its low half, which would otherwise be encoded as two replacement characters.
 */
async function* toBytes(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let carry = "";
  for await (const chunk of chunks) {
    if (typeof chunk !== "string") {
      if (carry !== "") yield encoder.encode(carry);
      carry = "";
      yield chunk;
      continue;
    }
    let text = carry + chunk;
    carry = "";
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (text !== "") yield encoder.encode(text);
  }
  if (carry !== "") yield encoder.encode(carry);
}

type RawLine = { line: number; text: string } | { line: number; text: null; error: string };

function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1 && pieces[0] !== undefined) return pieces[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

function decode(line: number, bytes: Uint8Array): RawLine {
  try {
    return { line, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { line, text: null, error: "the line is not valid UTF-8 (save the file as UTF-8)" };
  }
}

/**
 * Splits on the newline byte, which never occurs inside a multi-byte UTF-8 sequence, so each
 * line is decoded once and whole (no character can be cut) and its length is known in bytes.
 * A line that outgrows the limit is dropped as it arrives and reported with text null.
 */
async function* splitLines(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<RawLine> {
  let pieces: Uint8Array[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let line = 0;

  const finish = (): RawLine => {
    line++;
    let bytes = concat(pieces, pendingBytes);
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
    const result: RawLine =
      tooLong || bytes.length > maxLineBytes ? { line, text: null, error: `line is longer than ${maxLineBytes} bytes` } : decode(line, bytes);
    pieces = [];
    pendingBytes = 0;
    tooLong = false;
    return result;
  };

  for await (const chunk of chunks) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!tooLong && end > start) {
        pendingBytes += end - start;
        // One byte of slack for the "\r" of a CRLF ending, which does not count.
        if (pendingBytes > maxLineBytes + 1) {
          tooLong = true;
          pieces = [];
        } else {
          // A piece that outlives this chunk is copied: callers may reuse their buffers.
          pieces.push(newline === -1 ? chunk.slice(start, end) : chunk.subarray(start, end));
        }
      }
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (pendingBytes > 0 || tooLong) yield finish();
}

/**
 * Parses JSON Lines in constant memory (one line at a time, at most maxLineBytes of it). Every
 * non-blank line yields a result, so one bad row never hides the others; line numbers are
 * 1-based and count blank lines, as an editor does.
 */
export async function* parseJsonl(
  chunks: AsyncIterable<Uint8Array | string>,
  layout: JsonlLayout,
  opts: { maxLineBytes?: number } = {},
): AsyncGenerator<ParsedLine> {
  yield* parseJsonLines(chunks, rowParsers[layout], opts);
}

/**
 * parseJsonl with a row parser of the caller's (which throws ImportRowError for a bad row).
 * `quoteInvalidJson: false` reports a line that is not JSON without the parser's message, which
 * quotes the line: for text that must not be echoed before it has been redacted.
 */
export async function* parseJsonLines<T>(
  chunks: AsyncIterable<Uint8Array | string>,
  parseRow: (value: unknown) => T,
  opts: { maxLineBytes?: number; quoteInvalidJson?: boolean } = {},
): AsyncGenerator<{ line: number; ok: true; record: T } | { line: number; ok: false; error: string }> {
  const maxLineBytes = opts.maxLineBytes ?? defaultMaxLineBytes;
  for await (const raw of splitLines(toBytes(chunks), maxLineBytes)) {
    const { line, text } = raw;
    if (text === null) {
      yield { line, ok: false, error: "error" in raw ? raw.error : "unreadable line" };
      continue;
    }
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      // The parser's message quotes the line; what it quotes must be storable in the error report.
      yield { line, ok: false, error: opts.quoteInvalidJson === false ? "invalid JSON" : `invalid JSON: ${escapeUnstorable((error as Error).message)}` };
      continue;
    }
    // The platform's one rule for text (server/text/storable.ts): refused, naming the field.
    const unstorable = findUnstorable(value);
    if (unstorable) {
      yield { line, ok: false, error: describeUnstorable(unstorable) };
      continue;
    }
    let record: T;
    try {
      record = parseRow(value);
    } catch (error) {
      // Anything else is a bug in a parser and should not pass for a bad row.
      if (!(error instanceof ImportRowError)) throw error;
      yield { line, ok: false, error: escapeUnstorable(error.message) };
      continue;
    }
    yield { line, ok: true, record };
  }
}
