import { describe, expect, it } from "vitest";
import type { ExportDemonstration } from "../types";
import { sftRecord, ZSftRecord } from "./sft";
import { multiTurnPrompt } from "./test-fixtures";

const demonstration: ExportDemonstration = {
  id: "demo-1",
  taskId: "task-1",
  prompt: multiTurnPrompt,
  content: "دماغ 🧠 — 脳 (のう), cafe\u0301",
  authorId: "alice",
  createdAt: new Date("2026-11-01T10:00:00.000Z"),
};

describe("sft records", () => {
  it("writes the prompt followed by the demonstration as the assistant turn, and only `messages`", () => {
    const record = sftRecord(demonstration);
    expect(record).toEqual({ messages: [...multiTurnPrompt, { role: "assistant", content: demonstration.content }] });
    expect(Object.keys(record)).toEqual(["messages"]);
    expect(ZSftRecord.safeParse(record).error).toBeUndefined();
  });

  it("writes each message as role then content, whatever else the input message carries", () => {
    const prompt = [{ content: "Hi 👋", role: "user" as const, name: "bob" }];
    expect(JSON.stringify(sftRecord({ ...demonstration, prompt }))).toBe(
      `{"messages":[{"role":"user","content":"Hi 👋"},{"role":"assistant","content":"${demonstration.content}"}]}`,
    );
  });
});
