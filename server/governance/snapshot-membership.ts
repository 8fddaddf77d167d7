// Which snapshot files hold a conversation, found by reading the files at deletion time.
//
// Why this is exact (it cannot miss a record): every export format writes the prompt's message
// contents verbatim inside JSON strings (pairs, rankings, kto, openai-dpo and sft as message
// `content`; hh concatenates them behind "Human:"/"Assistant:" markers and joins system turns with
// blank lines), and every record also carries at least one of that task's response texts (or, for
// sft, its demonstration's text). JSON escapes a string character by character (the in-database
// `pairs` path writes the same bytes, see sql-pairs.ts), and stored text holds no lone surrogates
// (server/text/storable.ts), so the escaped text of a piece is a substring of the escaped text of
// any string containing it. A record of the conversation is therefore a line that contains every
// escaped message content and one escaped response or demonstration text. Ids are not used:
// hh and sft records, and records copied from an imported file, carry none.
// The test can over-match only a line whose own text contains the same prompt and answer, i.e.
// a file that holds the deleted text anyway.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export type ConversationText = { promptId: string; messages: { content: string }[]; answers: string[] };

type Needles = { promptId: string; prompt: string[]; answers: string[] };

const escaped = (text: string) => JSON.stringify(text).slice(1, -1);

export function needlesOf(conversations: ConversationText[]): Needles[] {
  return conversations.map((c) => ({
    promptId: c.promptId,
    // The longest piece first: it rules out most lines with one search.
    prompt: c.messages.map((m) => escaped(m.content)).filter(Boolean).sort((a, b) => b.length - a.length),
    answers: c.answers.map(escaped),
  }));
}

/** The prompt ids whose records the JSON line holds. */
export function promptsInLine(line: string, needles: Needles[]): string[] {
  return needles.filter((n) => n.prompt.every((p) => line.includes(p)) && n.answers.some((a) => line.includes(a))).map((n) => n.promptId);
}

/** The prompt ids (of `needles`) that have a record in the file, read a line at a time. */
export async function promptsInFile(file: string, needles: Needles[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (needles.length === 0) return found;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) {
    for (const id of promptsInLine(line, needles)) found.add(id);
    if (found.size === needles.length) {
      lines.close();
      break;
    }
  }
  return found;
}
