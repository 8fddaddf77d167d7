import { z } from "zod";
import { maxContentChars, maxMessages, type Message, parseHhText, toHhText } from "./conversation";
import { buildImportRecord, type ImportRecord } from "./import-record";
import { ImportRowError, parseRow } from "./import-row-error";

export const ZHhRow = z.object({ chosen: z.string(), rejected: z.string() });

function parseSide(text: string, name: string): Message[] {
  let messages: Message[];
  try {
    messages = parseHhText(text);
  } catch (error) {
    throw new ImportRowError(`${name}: ${(error as Error).message}`);
  }
  // The same limits ZMessages puts on the other layouts.
  if (messages.length > maxMessages) throw new ImportRowError(`${name}: expected at most ${maxMessages} turns`);
  if (messages.some((m) => m.content.length > maxContentChars)) {
    throw new ImportRowError(`${name}: a turn is longer than ${maxContentChars} characters`);
  }
  return messages;
}

function sameMessage(a: Message | undefined, b: Message | undefined): boolean {
  return a !== undefined && b !== undefined && a.role === b.role && a.content === b.content;
}

/**
 * One side after the prompt as one response: its first Assistant turn's content and, when the side
 * goes on (rows whose conversations diverge before their last turn), the turns after it in HH text.
 * Exporting the pair in the hh layout then writes the side back byte for byte.
 */
function responseAfterPrompt(tail: Message[], name: string): { content: string; turns: number } {
  const [first] = tail;
  if (first?.role !== "assistant") throw new ImportRowError(`${name}: expected an Assistant turn after the last shared Human turn`);
  const content = first.content + toHhText(tail.slice(1));
  if (content.length > maxContentChars) throw new ImportRowError(`${name}: the answer after the prompt is longer than ${maxContentChars} characters`);
  return { content, turns: tail.length };
}

/**
 * Layout "hh" (Anthropic HH-RLHF): two whole conversations, usually differing only in the last
 * Assistant turn. The prompt is the turns both share, up to the last Human turn among them; each
 * side's turns after it are its response. Where the two diverge earlier than their last turn, a
 * response holds several turns (in HH text after its first Assistant turn), and the record's meta
 * says how many (`hh.responseTurns`).
 */
export function parseHhRow(value: unknown): ImportRecord {
  const row = parseRow(ZHhRow, value);
  const chosen = parseSide(row.chosen, "chosen");
  const rejected = parseSide(row.rejected, "rejected");

  let shared = 0;
  while (sameMessage(chosen[shared], rejected[shared])) shared++;
  if (shared === 0) throw new ImportRowError("chosen and rejected share no prompt");
  if (shared === chosen.length && shared === rejected.length) {
    throw new ImportRowError("chosen and rejected are identical");
  }
  let promptEnd = shared;
  while (promptEnd > 0 && chosen[promptEnd - 1]?.role !== "user") promptEnd--;
  if (promptEnd === 0) throw new ImportRowError("chosen and rejected share no Human turn");
  const prompt = chosen.slice(0, promptEnd);
  const sides = [responseAfterPrompt(chosen.slice(promptEnd), "chosen"), responseAfterPrompt(rejected.slice(promptEnd), "rejected")];

  return buildImportRecord(
    {
      prompt,
      responses: sides.map((side) => ({ content: side.content, model: null })),
      source: "imported",
      meta: sides.some((side) => side.turns > 1) ? { hh: { responseTurns: { chosen: sides[0]!.turns, rejected: sides[1]!.turns } } } : {},
      preference: { order: [0, 1], margin: null },
      feedback: null,
    },
    ["chosen", "rejected"],
  );
}
