import { describe, expect, it } from "vitest";
import { toHhText } from "../import/conversation";
import { needlesOf, promptsInLine } from "./snapshot-membership";

const conversation = {
  promptId: "p1",
  messages: [
    { role: "system" as const, content: 'Be "brief".' },
    { role: "user" as const, content: "Line one\nline two – ünïcode 🙂 \\ back" },
  ],
  answers: ["Answer\twith a tab", "Another answer"],
};
const needles = needlesOf([conversation]);

describe("snapshot membership", () => {
  it("finds a record in every layout: messages as JSON strings, and HH's joined text", () => {
    const messagesLine = JSON.stringify({ prompt: conversation.messages, chosen: [{ role: "assistant", content: "Answer\twith a tab" }] });
    const hhLine = JSON.stringify({ chosen: toHhText([...conversation.messages, { role: "assistant", content: "Another answer" }]), rejected: "x" });
    expect(promptsInLine(messagesLine, needles)).toEqual(["p1"]);
    expect(promptsInLine(hhLine, needles)).toEqual(["p1"]);
  });

  it("needs the whole prompt and one of its answers", () => {
    const promptOnly = JSON.stringify({ prompt: conversation.messages, chosen: [{ role: "assistant", content: "Someone else's answer" }] });
    const partOfPrompt = JSON.stringify({ prompt: [conversation.messages[1]], chosen: [{ role: "assistant", content: "Another answer" }] });
    expect(promptsInLine(promptOnly, needles)).toEqual([]);
    expect(promptsInLine(partOfPrompt, needles)).toEqual([]);
  });

  it("a conversation with no answer has no records", () => {
    const line = JSON.stringify({ prompt: conversation.messages });
    expect(promptsInLine(line, needlesOf([{ ...conversation, answers: [] }]))).toEqual([]);
  });
});
