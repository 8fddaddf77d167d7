import { describe, expect, it } from "vitest";
import { answerStats, exportConversations, newConversation, withAnswerStats, withAnswerText, withoutLastTurn, withSystemPrompt, withUserTurn } from "./conversation";

const stats = { firstTokenMs: 10, tokensPerSecond: 5, completionTokens: 3, finishReason: "stop" };

describe("playground conversation", () => {
  it("keeps turns in order, streamed text joined into one answer, with its stats", () => {
    let c = withUserTurn(newConversation("m1", "be brief"), "hi");
    c = withAnswerText(withAnswerText(c, "hel"), "lo");
    c = withAnswerStats(c, stats);
    c = withUserTurn(c, "again");
    expect(c.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "again" },
    ]);
    expect(c.stats).toEqual({ 2: stats });
  });

  it("gives an empty answer its place, and takes back a failed turn", () => {
    const c = withAnswerStats(withUserTurn(newConversation("m1"), "hi"), stats);
    expect(c.messages.at(-1)).toEqual({ role: "assistant", content: "" });
    const failed = withAnswerText(withUserTurn(c, "next"), "par");
    expect(withoutLastTurn(failed)).toEqual(c);
  });

  it("keeps the system prompt first and the stats on their answers when it changes", () => {
    let c = withAnswerStats(withAnswerText(withUserTurn(newConversation("m1"), "hi"), "yo"), stats);
    c = withSystemPrompt(c, "be kind");
    expect(c.messages[0]).toEqual({ role: "system", content: "be kind" });
    expect(c.stats).toEqual({ 2: stats });
    c = withSystemPrompt(c, "");
    expect(c.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(c.stats).toEqual({ 1: stats });
  });

  it("measures first-token latency and tokens per second after the first token", () => {
    expect(answerStats({ sentAt: 1000, firstAt: 1250, endAt: 2250, completionTokens: 11, finishReason: "length" })).toEqual({ firstTokenMs: 250, tokensPerSecond: 10, completionTokens: 11, finishReason: "length" });
    expect(answerStats({ sentAt: 0, firstAt: null, endAt: 5, completionTokens: 0, finishReason: "stop" }).tokensPerSecond).toBeNull();
  });

  it("exports each column as { modelVersionId, messages }", () => {
    const c = withAnswerStats(withAnswerText(withUserTurn(newConversation("m1"), "hi"), "yo"), stats);
    expect(JSON.parse(exportConversations([c, newConversation("m2")]))).toEqual([
      { modelVersionId: "m1", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }] },
      { modelVersionId: "m2", messages: [] },
    ]);
  });
});
