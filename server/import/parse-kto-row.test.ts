import { describe, expect, it } from "vitest";
import { ImportRowError } from "./import-row-error";
import { parseKtoRow } from "./parse-kto-row";
import { detectLayout, type ParsedLine, parseJsonl } from "./read-jsonl";

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

const valid = {
  id: "chat-17",
  prompt: [{ role: "system", content: "Be brief." }, user("Capital of France?")],
  completion: [assistant("Paris.")],
  label: true,
  safety: { promptPolicy: "allowed" },
  source: "production",
  meta: { conversation: "c-9" },
};

function errorOf(value: unknown): string {
  try {
    parseKtoRow(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportRowError);
    return (error as Error).message;
  }
  throw new Error("expected the row to be rejected");
}

describe("parseKtoRow", () => {
  it("reads a TRL conversational unpaired row as one response with a thumbs label", () => {
    const record = parseKtoRow(valid);
    expect(record.prompt).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "Capital of France?" }]);
    expect(record.responses).toEqual([{ content: "Paris.", model: null }]);
    expect(record.feedback).toBe("up");
    expect(record.preference).toBeNull();
    expect(record.source).toBe("production");
    expect(record.meta).toEqual({ conversation: "c-9", id: "chat-17", safety: { promptPolicy: "allowed" } });
  });

  it("accepts plain strings (TRL's standard layout) and label false as thumbs down", () => {
    const record = parseKtoRow({ prompt: "Capital of France?", completion: "Lyon.", label: false });
    expect(record.prompt).toEqual([{ role: "user", content: "Capital of France?" }]);
    expect(record.responses.map((r) => r.content)).toEqual(["Lyon."]);
    expect(record.feedback).toBe("down");
    expect(record.source).toBe("imported");
    expect(record.meta).toEqual({});
  });

  it("counts the label in the row's identity: the same answer liked and disliked is two rows, the same row twice one", () => {
    const up = parseKtoRow({ prompt: "q", completion: "a", label: true });
    expect(parseKtoRow({ prompt: [user("q")], completion: [assistant("a")], label: true }).contentHash).toBe(up.contentHash);
    expect(parseKtoRow({ prompt: "q", completion: "a", label: false }).contentHash).not.toBe(up.contentHash);
  });

  it("takes only a boolean `label`, and says what it expects", () => {
    const unlabelled = { ...valid, label: undefined };
    expect(errorOf(unlabelled)).toBe("label: missing: expected true (thumbs up) or false (thumbs down)");
    expect(errorOf({ ...unlabelled, thumbs: "up" })).toBe("label: missing: expected true (thumbs up) or false (thumbs down)");
    expect(errorOf({ ...valid, label: "true" })).toBe("label: expected true (thumbs up) or false (thumbs down)");
    expect(errorOf({ ...valid, label: 1 })).toBe("label: expected true (thumbs up) or false (thumbs down)");
    expect(errorOf({ ...valid, label: null })).toBe("label: expected true (thumbs up) or false (thumbs down)");
  });

  it("requires exactly one non-empty assistant completion", () => {
    expect(errorOf({ ...valid, completion: [assistant("Paris."), assistant("Sure.")] })).toBe("completion: expected exactly one assistant message");
    expect(errorOf({ ...valid, completion: [user("Paris.")] })).toBe("completion: expected exactly one assistant message");
    expect(errorOf({ ...valid, completion: [] })).toBe("completion: expected at least one message");
    expect(errorOf({ ...valid, completion: "  " })).toBe("completion: content is empty");
    expect(errorOf({ ...valid, completion: undefined })).toBe("completion: missing");
    expect(errorOf({ ...valid, completion: 3 })).toBe("completion: expected string or array, got number");
  });

  it("checks the prompt, source, safety and meta as the other layouts do", () => {
    expect(errorOf({ ...valid, prompt: [user("q"), assistant("a")] })).toBe("prompt: the last message must be from the user");
    expect(errorOf({ ...valid, prompt: undefined })).toBe("prompt: missing");
    expect(errorOf({ ...valid, source: "chat" })).toBe("source: expected one of production, red_team, model_generated, imported");
    expect(errorOf({ ...valid, safety: "unsafe" })).toBe("safety: expected an object");
    expect(errorOf({ ...valid, meta: [] })).toBe("meta: expected an object");
  });
});

describe("the kto layout in a file", () => {
  async function* once(text: string) {
    yield text;
  }

  it("reports each bad row by line and keeps the good ones", async () => {
    const text = [
      JSON.stringify({ prompt: "Hi", completion: "Hello!", label: true }),
      JSON.stringify({ prompt: "Hi", completion: "Go away.", label: "down" }),
      "",
      JSON.stringify({ prompt: "Hi", chosen: "Hello!", rejected: "Go away." }),
    ].join("\n");
    const results: ParsedLine[] = [];
    for await (const r of parseJsonl(once(text), "kto")) results.push(r);
    expect(results.map((r) => (r.ok ? { line: r.line, feedback: r.record.feedback } : r))).toEqual([
      { line: 1, feedback: "up" },
      { line: 2, ok: false, error: "label: expected true (thumbs up) or false (thumbs down)" },
      { line: 4, ok: false, error: "completion: missing" },
    ]);
  });

  it("is recognised from a first row with a completion and a boolean label", () => {
    expect(detectLayout({ prompt: "q", completion: "a", label: false })).toBe("kto");
    expect(detectLayout({ prompt: [user("q")], completion: [assistant("a")], label: true })).toBe("kto");
    expect(detectLayout({ prompt: "q", completion: "a", label: "good" })).toBeNull();
  });
});
