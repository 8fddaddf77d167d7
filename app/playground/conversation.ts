// The Playground's conversation state: one per column, in the shape the red-team work saves
// attempts in. Pure: no React, no fetch.

export type ChatRole = "system" | "user" | "assistant";
export type ChatMessage = { role: ChatRole; content: string };

/** What one answer took: time to its first text, and tokens per second after it. */
export type AnswerStats = { firstTokenMs: number | null; tokensPerSecond: number | null; completionTokens: number | null; finishReason: string | null };

export type Conversation = {
  modelVersionId: string;
  messages: ChatMessage[];
  /** Per assistant message, by its index in `messages`. */
  stats: Record<number, AnswerStats>;
};

export function newConversation(modelVersionId: string, systemPrompt = ""): Conversation {
  return { modelVersionId, messages: systemPrompt.trim() ? [{ role: "system", content: systemPrompt }] : [], stats: {} };
}

/** The system prompt set or changed: it stays the first message. */
export function withSystemPrompt(c: Conversation, systemPrompt: string): Conversation {
  const rest = c.messages[0]?.role === "system" ? c.messages.slice(1) : c.messages;
  const offset = (systemPrompt.trim() ? 1 : 0) - (c.messages.length - rest.length);
  const stats = Object.fromEntries(Object.entries(c.stats).map(([i, s]) => [Number(i) + offset, s]));
  return { ...c, messages: systemPrompt.trim() ? [{ role: "system", content: systemPrompt }, ...rest] : rest, stats };
}

export function withUserTurn(c: Conversation, content: string): Conversation {
  return { ...c, messages: [...c.messages, { role: "user", content }] };
}

/** Text streamed into the answer being written (started by the first delta). */
export function withAnswerText(c: Conversation, text: string): Conversation {
  const last = c.messages.at(-1);
  if (last?.role === "assistant") return { ...c, messages: [...c.messages.slice(0, -1), { role: "assistant", content: last.content + text }] };
  return { ...c, messages: [...c.messages, { role: "assistant", content: text }] };
}

export function withAnswerStats(c: Conversation, stats: AnswerStats): Conversation {
  const last = c.messages.at(-1);
  // An answer with no text still gets its place, so the next user turn follows an assistant turn.
  const next = last?.role === "assistant" ? c : { ...c, messages: [...c.messages, { role: "assistant" as const, content: "" }] };
  return { ...next, stats: { ...next.stats, [next.messages.length - 1]: stats } };
}

/** A failed answer is taken back with the user turn that asked for it, so it can be sent again. */
export function withoutLastTurn(c: Conversation): Conversation {
  const at = c.messages.findLastIndex((m) => m.role === "user");
  if (at < 0) return c;
  const stats = Object.fromEntries(Object.entries(c.stats).filter(([i]) => Number(i) < at));
  return { ...c, messages: c.messages.slice(0, at), stats };
}

/** Tokens per second after the first token (the rate the reader sees the answer grow at). */
export function answerStats(opts: { sentAt: number; firstAt: number | null; endAt: number; completionTokens: number | null; finishReason: string | null }): AnswerStats {
  const firstTokenMs = opts.firstAt === null ? null : opts.firstAt - opts.sentAt;
  const streamingMs = opts.firstAt === null ? 0 : opts.endAt - opts.firstAt;
  // The first token arrives at firstAt: the rest took the streaming time.
  const tokensPerSecond = opts.completionTokens !== null && opts.completionTokens > 1 && streamingMs > 0 ? ((opts.completionTokens - 1) * 1000) / streamingMs : null;
  return { firstTokenMs, tokensPerSecond, completionTokens: opts.completionTokens, finishReason: opts.finishReason };
}

/** The export: `{ modelVersionId, messages: [{role, content}] }` per column. */
export function exportConversations(columns: Conversation[]): string {
  return JSON.stringify(
    columns.map((c) => ({ modelVersionId: c.modelVersionId, messages: c.messages })),
    null,
    2,
  );
}
