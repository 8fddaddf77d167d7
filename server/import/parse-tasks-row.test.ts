import { describe, expect, it } from "vitest";
import { ImportRowError } from "./import-row-error";
import { parseTasksRow } from "./parse-tasks-row";

const valid = { prompt: "Write a haiku", responses: ["Old pond", "Frog jumps in"] };

function errorOf(value: unknown): string {
  try {
    parseTasksRow(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportRowError);
    return (error as Error).message;
  }
  throw new Error("expected the row to be rejected");
}

describe("parseTasksRow", () => {
  it("turns a string prompt into one user message and string responses into model-less responses", () => {
    const record = parseTasksRow(valid);
    expect(record.prompt).toEqual([{ role: "user", content: "Write a haiku" }]);
    expect(record.responses).toEqual([
      { content: "Old pond", model: null },
      { content: "Frog jumps in", model: null },
    ]);
    expect(record.source).toBe("imported");
    expect(record.meta).toEqual({});
    expect(record.preference).toBeNull();
    expect(record.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps a multi-turn prompt, response models, source and meta", () => {
    const record = parseTasksRow({
      prompt: [
        { role: "system", content: "Be kind." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Joke?" },
      ],
      responses: [{ content: "A", model: "m-1" }, "B", { content: "C", model: null }],
      source: "red_team",
      meta: { batch: 7 },
    });
    expect(record.prompt).toHaveLength(4);
    expect(record.responses.map((r) => r.model)).toEqual(["m-1", null, null]);
    expect(record.source).toBe("red_team");
    expect(record.meta).toEqual({ batch: 7 });
  });

  it("accepts 16 responses and rejects 1 or 17", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
    expect(parseTasksRow({ ...valid, responses: many(16) }).responses).toHaveLength(16);
    expect(errorOf({ ...valid, responses: many(1) })).toBe("responses: expected 2 to 16 items");
    expect(errorOf({ ...valid, responses: many(17) })).toBe("responses: expected 2 to 16 items");
  });

  it("rejects empty and duplicated responses", () => {
    expect(errorOf({ ...valid, responses: ["a", "  "] })).toBe("responses[1]: content is empty");
    expect(errorOf({ ...valid, responses: ["a", "b", "a"] })).toBe("responses[2]: duplicates responses[0]");
  });

  it("rejects a prompt that does not end with a non-empty user message", () => {
    const endsWithAssistant = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
    ];
    expect(errorOf({ ...valid, prompt: endsWithAssistant })).toBe("prompt: the last message must be from the user");
    expect(errorOf({ ...valid, prompt: "   " })).toBe("prompt: the last user message is empty");
    expect(errorOf({ ...valid, prompt: [] })).toBe("prompt: expected at least one message");
  });

  it("names the field and the problem for malformed rows", () => {
    expect(errorOf([])).toBe("expected object, got array");
    expect(errorOf({ responses: valid.responses })).toBe("prompt: missing");
    expect(errorOf({ ...valid, prompt: 3 })).toBe("prompt: expected string or array, got number");
    expect(errorOf({ ...valid, prompt: [{ role: "tool", content: "x" }] })).toBe(
      "prompt[0].role: expected one of system, user, assistant",
    );
    expect(errorOf({ ...valid, responses: ["a", { model: "m" }] })).toBe("responses[1].content: missing");
    expect(errorOf({ ...valid, responses: "a" })).toBe("responses: expected array, got string");
    expect(errorOf({ ...valid, source: "web" })).toBe(
      "source: expected one of production, red_team, model_generated, imported",
    );
    expect(errorOf({ ...valid, meta: [1] })).toBe("meta: expected an object");
    expect(errorOf({ ...valid, responses: ["a", "b".repeat(100_001)] })).toBe(
      "responses[1]: expected at most 100000 characters",
    );
  });
});
