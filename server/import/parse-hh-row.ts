import { z } from "zod";
import { maxContentChars, maxMessages, type Message, parseHhText } from "./conversation";
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

function onlyAssistantTurn(rest: Message[], name: string): string {
  const [only] = rest;
  if (rest.length !== 1 || only?.role !== "assistant") {
    throw new ImportRowError(`${name}: expected exactly one Assistant turn after the shared prompt`);
  }
  return only.content;
}

/**
 * Layout "hh" (Anthropic HH-RLHF): two whole conversations that differ only in the last
 * Assistant turn; the shared part is the prompt.
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
  const prompt = chosen.slice(0, shared);
  if (prompt.at(-1)?.role !== "user") {
    throw new ImportRowError("chosen and rejected must differ only after the last Human turn");
  }

  return buildImportRecord(
    {
      prompt,
      responses: [
        { content: onlyAssistantTurn(chosen.slice(shared), "chosen"), model: null },
        { content: onlyAssistantTurn(rejected.slice(shared), "rejected"), model: null },
      ],
      source: "imported",
      meta: {},
      preference: { order: [0, 1], margin: null },
    },
    ["chosen", "rejected"],
  );
}
