import { describe, expect, it } from "vitest";
import { ImportRowError } from "./import-row-error";
import { parsePairsRow } from "./parse-pairs-row";

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

const valid = {
  id: "pair-1",
  prompt: [user("Capital of France?")],
  chosen: [assistant("Paris.")],
  rejected: [assistant("Lyon.")],
  margin: 0.5,
  safety: { harmful: false },
  meta: { annotator: "a1" },
};

function errorOf(value: unknown): string {
  try {
    parsePairsRow(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportRowError);
    return (error as Error).message;
  }
  throw new Error("expected the row to be rejected");
}

describe("parsePairsRow", () => {
  it("reads a TRL conversational pair as chosen-over-rejected", () => {
    const record = parsePairsRow(valid);
    expect(record.prompt).toEqual([{ role: "user", content: "Capital of France?" }]);
    expect(record.responses).toEqual([
      { content: "Paris.", model: null },
      { content: "Lyon.", model: null },
    ]);
    expect(record.preference).toEqual({ order: [0, 1], margin: 0.5 });
    expect(record.meta).toEqual({ annotator: "a1", id: "pair-1", safety: { harmful: false } });
    expect(record.source).toBe("imported");
  });

  it("accepts plain strings for prompt, chosen and rejected and a missing margin", () => {
    const record = parsePairsRow({ prompt: "Capital of France?", chosen: "Paris.", rejected: "Lyon." });
    expect(record.prompt).toEqual([{ role: "user", content: "Capital of France?" }]);
    expect(record.responses.map((r) => r.content)).toEqual(["Paris.", "Lyon."]);
    expect(record.preference).toEqual({ order: [0, 1], margin: null });
    expect(record.meta).toEqual({});
  });

  it("hashes the same as the equivalent tasks row, since only content counts", () => {
    const fromStrings = parsePairsRow({ prompt: "Capital of France?", chosen: "Paris.", rejected: "Lyon." });
    expect(parsePairsRow(valid).contentHash).toBe(fromStrings.contentHash);
  });

  it("requires exactly one assistant message on each side", () => {
    expect(errorOf({ ...valid, chosen: [assistant("Paris."), assistant("Sure.")] })).toBe(
      "chosen: expected exactly one assistant message",
    );
    expect(errorOf({ ...valid, rejected: [user("Lyon.")] })).toBe("rejected: expected exactly one assistant message");
    expect(errorOf({ ...valid, rejected: [] })).toBe("rejected: expected at least one message");
  });

  it("rejects identical or empty sides", () => {
    expect(errorOf({ ...valid, rejected: [assistant("Paris.")] })).toBe("chosen and rejected are identical");
    expect(errorOf({ ...valid, chosen: "" })).toBe("chosen: content is empty");
  });

  it("rejects a margin outside 0..1 and malformed fields", () => {
    expect(errorOf({ ...valid, margin: 1.5 })).toBe("margin: expected a number from 0 to 1");
    expect(errorOf({ ...valid, margin: "high" })).toBe("margin: expected a number from 0 to 1");
    expect(errorOf({ ...valid, safety: "no" })).toBe("safety: expected an object");
    expect(errorOf({ ...valid, chosen: undefined })).toBe("chosen: missing");
    expect(errorOf({ ...valid, prompt: [assistant("Hi")] })).toBe("prompt: the last message must be from the user");
    expect(errorOf({ ...valid, chosen: [{ role: "assistant" }] })).toBe("chosen[0].content: missing");
  });
});
