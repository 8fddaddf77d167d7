// A Playground chat turn, forwarded from the web app to the model server of the chosen version and
// streamed back as JSON lines of text deltas. Only this module talks to model servers.
import { z } from "zod";
import type { Db } from "../db";
import { ZServingEnv } from "../env";
import { AppError } from "../errors";
import { maxContentChars } from "../import/conversation";
import { consumeWindow } from "../rate-window";
import type { SessionUser } from "../users/session";
import { assertCanUsePlayground, servedModelUrlOrThrow } from "./served-models";

export const ZPlaygroundChatInput = z.strictObject({
  modelVersionId: z.uuid("modelVersionId must be a model version's id"),
  messages: z
    .array(z.strictObject({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(maxContentChars, `a message has at most ${maxContentChars} characters`) }))
    .min(1, "send at least one message")
    .max(200, "at most 200 messages")
    .refine((m) => m.at(-1)?.role === "user", "the last message must be the user's"),
  /** Default: the limit (PLAYGROUND_MAX_TOKENS). */
  maxTokens: z.int("maxTokens must be a whole number").min(1, "maxTokens must be at least 1").optional(),
  temperature: z.number().min(0, "temperature is at least 0").max(2, "temperature is at most 2").default(0.7),
});
export type TPlaygroundChatInput = z.input<typeof ZPlaygroundChatInput>;

/** One line of the stream the browser reads. */
export type ChatStreamEvent =
  | { type: "delta"; text: string }
  | { type: "done"; finishReason: string | null; promptTokens: number | null; completionTokens: number | null }
  | { type: "error"; message: string };

const ZChunk = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).optional(), finish_reason: z.string().nullish() })),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

async function upstreamError(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
  return typeof body?.error?.message === "string" ? body.error.message : `status ${res.status}`;
}

/**
 * Checks who asks and what, counts the request against the user's limit and opens the model
 * server's stream; resolves once the server has accepted the request, so a refusal is an error
 * with its status rather than a broken stream.
 */
export async function startPlaygroundChat(
  db: Db,
  user: Pick<SessionUser, "id" | "role" | "redTeamer">,
  input: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<ReadableStream<Uint8Array>> {
  assertCanUsePlayground(user);
  const parsed = ZPlaygroundChatInput.safeParse(input);
  if (!parsed.success) throw new AppError("BAD_REQUEST", `Invalid chat request: ${z.prettifyError(parsed.error)}`);
  const { PLAYGROUND_MAX_TOKENS: limit, PLAYGROUND_REQUESTS_PER_MINUTE: perMinute } = ZServingEnv.parse(process.env);
  const maxTokens = parsed.data.maxTokens ?? limit;
  if (maxTokens > limit) throw new AppError("BAD_REQUEST", `maxTokens ${maxTokens} is above the Playground's limit of ${limit} tokens per answer`);
  const { url } = await servedModelUrlOrThrow(db, parsed.data.modelVersionId);
  await consumeWindow(db, user.id, { prefix: "playground", points: perMinute, seconds: 60 }, (s) => `You have sent ${perMinute} chat requests this minute; retry in ${Math.ceil(s)} s`);

  let res: Response;
  try {
    res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        messages: parsed.data.messages,
        max_tokens: maxTokens,
        temperature: parsed.data.temperature,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new AppError("BAD_GATEWAY", "The model server could not be reached; its serve job may be restarting.");
  }
  if (res.status === 400) throw new AppError("BAD_REQUEST", `The model server refused the request: ${await upstreamError(res)}`);
  if (res.status === 503) throw new AppError("TOO_MANY_REQUESTS", `The model server is busy: ${await upstreamError(res)}`);
  if (!res.ok || !res.body) throw new AppError("BAD_GATEWAY", `The model server failed: ${await upstreamError(res)}`);
  return res.body.pipeThrough(new TextDecoderStream()).pipeThrough(sseToChatEvents()).pipeThrough(new TextEncoderStream());
}

/** OpenAI's server-sent chunks → one JSON line per delta, then a `done` (or `error`) line. */
function sseToChatEvents(): TransformStream<string, string> {
  let buffer = "";
  let finishReason: string | null = null;
  let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
  let ended = false;
  const line = (event: ChatStreamEvent) => `${JSON.stringify(event)}\n`;
  const handle = (data: string, out: TransformStreamDefaultController<string>) => {
    if (data === "[DONE]") {
      ended = true;
      return;
    }
    const chunk = ZChunk.safeParse(JSON.parse(data));
    if (!chunk.success) return;
    if (chunk.data.usage) usage = chunk.data.usage;
    for (const choice of chunk.data.choices) {
      if (choice.delta?.content) out.enqueue(line({ type: "delta", text: choice.delta.content }));
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  };
  return new TransformStream({
    transform(text, out) {
      buffer += text;
      let at;
      while ((at = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        for (const row of event.split("\n")) {
          if (row.startsWith("data:")) {
            try {
              handle(row.slice(5).trim(), out);
            } catch {
              // A line that is not JSON is not an answer's text: skipped.
            }
          }
        }
      }
    },
    flush(out) {
      if (!ended || finishReason === "error") out.enqueue(line({ type: "error", message: "The model server stopped before the answer was complete." }));
      else out.enqueue(line({ type: "done", finishReason, promptTokens: usage?.prompt_tokens ?? null, completionTokens: usage?.completion_tokens ?? null }));
    },
  });
}
