import { createHash } from "node:crypto";
import { z } from "zod";
import { maxContentChars, type Message, ZMessage, ZMessages } from "./conversation";
import { ImportRowError } from "./import-row-error";

export const promptSources = ["production", "red_team", "model_generated", "imported"] as const;
export type PromptSource = (typeof promptSources)[number];

export const minResponses = 2;
export const maxResponses = 16;

export type ImportResponse = { content: string; model: string | null };

export type ImportPreference = { order: number[]; margin: number | null };

/** A thumbs label on a single response, as a production chat log records it. */
export type Feedback = "up" | "down";

export type ImportRecord = {
  /** The conversation up to and including the user turn being judged. */
  prompt: Message[];
  responses: ImportResponse[];
  source: PromptSource;
  meta: Record<string, unknown>;
  /** Preference files carry a judgement: response indices best-first, no ties, optional margin 0..1. */
  preference: ImportPreference | null;
  /** kto files carry a thumbs label on their one response instead of a preference. */
  feedback: Feedback | null;
  /** sha256 of prompt and response contents (and thumbs label) only, so re-importing the same rows is detectable. */
  contentHash: string;
};

/** A bare string prompt is the common case for single-turn tasks. */
export const ZPrompt = z.union([
  ZMessage.shape.content.transform((content): Message[] => [{ role: "user", content }]),
  ZMessages,
]);

export const ZSource = z.enum(promptSources).default("imported");
export const ZMeta = z.record(z.string(), z.unknown(), { error: "expected an object" }).default({});

/** What a row of TRL's layouts (pairs, kto) has besides its answers: the prompt, and its own id
 *  and safety labels, kept in its meta, from where the export writes them back. */
export const ZTrlRow = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  prompt: ZPrompt,
  safety: z.record(z.string(), z.unknown(), { error: "expected an object" }).optional(),
  source: ZSource,
  meta: ZMeta,
});

export function metaWithFileFields(row: Pick<z.output<typeof ZTrlRow>, "id" | "safety" | "meta">): Record<string, unknown> {
  const meta: Record<string, unknown> = { ...row.meta };
  if (row.id !== undefined) meta.id = row.id;
  if (row.safety !== undefined) meta.safety = row.safety;
  return meta;
}

export const ZMargin = z
  .number({ error: "expected a number from 0 to 1" })
  .min(0, "expected a number from 0 to 1")
  .max(1, "expected a number from 0 to 1");
export const ZResponseContent = z
  .string()
  .max(maxContentChars, `expected at most ${maxContentChars} characters`);

// TRL's conversational layout puts only the continuation in chosen/rejected/completion; its standard
// layout uses plain strings. Several assistant messages would be a multi-turn answer, which a single
// response cannot hold, so that is rejected rather than silently concatenated.
export const ZCompletion = z.union([ZResponseContent, ZMessages]);

export function completionText(completion: z.output<typeof ZCompletion>, name: string): string {
  if (typeof completion === "string") return completion;
  const [only] = completion;
  if (completion.length !== 1 || only?.role !== "assistant") {
    throw new ImportRowError(`${name}: expected exactly one assistant message`);
  }
  return only.content;
}

/**
 * Hashes a fixed-shape array rather than the input objects, so key order, unknown message keys,
 * meta and source cannot change it; response order can, since it carries the preference. A thumbs
 * label is hashed too: one answer liked by one user and disliked by another is two rows of a chat
 * log, and both are kept (the same row twice is still a duplicate).
 */
export function contentHash(prompt: Message[], responses: readonly string[], feedback: Feedback | null = null): string {
  const canonical = JSON.stringify([prompt.map((m) => [m.role, m.content]), responses, ...(feedback ? [feedback] : [])]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/** A prompt's identity within a project (Prompt.contentHash): its messages as {role, content} in order. */
export function promptHash(messages: readonly Message[]): string {
  return createHash("sha256").update(JSON.stringify(messages.map((m) => ({ role: m.role, content: m.content })))).digest("hex");
}

type BuildInput = Omit<ImportRecord, "contentHash">;

/**
 * The checks every layout shares. `responseNames` lets pair layouts say "chosen" instead of
 * "responses[0]" in messages. A row with a thumbs label has exactly one response, the one labelled.
 */
export function buildImportRecord(input: BuildInput, responseNames?: readonly string[]): ImportRecord {
  const { prompt, responses } = input;
  const last = prompt.at(-1);
  if (last?.role !== "user") throw new ImportRowError("prompt: the last message must be from the user");
  if (last.content.trim() === "") throw new ImportRowError("prompt: the last user message is empty");

  const [fewest, most] = input.feedback ? [1, 1] : [minResponses, maxResponses];
  if (responses.length < fewest || responses.length > most) {
    throw new ImportRowError(`responses: expected ${fewest === most ? fewest : `${fewest} to ${most}`} items`);
  }
  const name = (i: number) => responseNames?.[i] ?? `responses[${i}]`;
  const seen = new Map<string, number>();
  responses.forEach((response, i) => {
    if (response.content.trim() === "") throw new ImportRowError(`${name(i)}: content is empty`);
    const earlier = seen.get(response.content);
    if (earlier !== undefined) {
      throw new ImportRowError(
        responseNames ? `${name(earlier)} and ${name(i)} are identical` : `${name(i)}: duplicates ${name(earlier)}`,
      );
    }
    seen.set(response.content, i);
  });

  return {
    ...input,
    contentHash: contentHash(
      prompt,
      responses.map((r) => r.content),
      input.feedback,
    ),
  };
}
