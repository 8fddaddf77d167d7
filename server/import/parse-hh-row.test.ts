import { describe, expect, it } from "vitest";
import { toHhText } from "./conversation";
import { ImportRowError } from "./import-row-error";
import { parseHhRow } from "./parse-hh-row";

function errorOf(value: unknown): string {
  try {
    parseHhRow(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportRowError);
    return (error as Error).message;
  }
  throw new Error("expected the row to be rejected");
}

const context = "\n\nHuman: Hi\n\nAssistant: Hello, how can I help?\n\nHuman: Tell me a joke";

describe("parseHhRow", () => {
  it("takes the shared turns as the prompt and the final Assistant turns as the pair", () => {
    const record = parseHhRow({
      chosen: `${context}\n\nAssistant: Why did the chicken cross the road?`,
      rejected: `${context}\n\nAssistant: No.`,
    });
    expect(record.prompt).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello, how can I help?" },
      { role: "user", content: "Tell me a joke" },
    ]);
    expect(record.responses).toEqual([
      { content: "Why did the chicken cross the road?", model: null },
      { content: "No.", model: null },
    ]);
    expect(record.preference).toEqual({ order: [0, 1], margin: null });
    expect(record.source).toBe("imported");
  });

  it("reads back what toHhText wrote, with unicode", () => {
    const prompt = [{ role: "user" as const, content: "日本の首都は? 🗾" }];
    const record = parseHhRow({
      chosen: toHhText([...prompt, { role: "assistant", content: "東京です。" }]),
      rejected: toHhText([...prompt, { role: "assistant", content: "Kyōto" }]),
    });
    expect(record.prompt).toEqual(prompt);
    expect(record.responses.map((r) => r.content)).toEqual(["東京です。", "Kyōto"]);
  });

  it("rejects sides that share no prompt", () => {
    expect(errorOf({ chosen: "\n\nHuman: A\n\nAssistant: x", rejected: "\n\nHuman: B\n\nAssistant: y" })).toBe(
      "chosen and rejected share no prompt",
    );
  });

  it("rejects sides that diverge before the last Human turn", () => {
    expect(
      errorOf({
        chosen: "\n\nHuman: A\n\nAssistant: x\n\nHuman: B\n\nAssistant: y",
        rejected: "\n\nHuman: A\n\nAssistant: x\n\nHuman: C\n\nAssistant: z",
      }),
    ).toBe("chosen and rejected must differ only after the last Human turn");
  });

  it("rejects a side with more or fewer than one Assistant turn after the prompt", () => {
    expect(
      errorOf({ chosen: "\n\nHuman: A\n\nAssistant: x\n\nAssistant: more", rejected: "\n\nHuman: A\n\nAssistant: y" }),
    ).toBe("chosen: expected exactly one Assistant turn after the shared prompt");
    expect(errorOf({ chosen: "\n\nHuman: A\n\nAssistant: x", rejected: "\n\nHuman: A" })).toBe(
      "rejected: expected exactly one Assistant turn after the shared prompt",
    );
  });

  it("rejects identical sides, an empty answer and text that is not HH", () => {
    const same = "\n\nHuman: A\n\nAssistant: x";
    expect(errorOf({ chosen: same, rejected: same })).toBe("chosen and rejected are identical");
    expect(errorOf({ chosen: same, rejected: "\n\nHuman: A\n\nAssistant:" })).toBe("rejected: content is empty");
    expect(errorOf({ chosen: "just text", rejected: same })).toBe(
      String.raw`chosen: expected the text to start with "\n\nHuman:"`,
    );
    expect(errorOf({ chosen: same })).toBe("rejected: missing");
    expect(errorOf({ chosen: same, rejected: ["x"] })).toBe("rejected: expected string, got array");
  });
});
