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

  it("imports sides that diverge before their last turn: the shared turns to the last Human turn are the prompt, the rest of each side its response", () => {
    // Diverging at a Human turn: the shared Assistant turn before it belongs to both responses.
    const atHuman = {
      chosen: "\n\nHuman: A\n\nAssistant: x\n\nHuman: B\n\nAssistant: y",
      rejected: "\n\nHuman: A\n\nAssistant: x\n\nHuman: C\n\nAssistant: z",
    };
    const first = parseHhRow(atHuman);
    expect(first.prompt).toEqual([{ role: "user", content: "A" }]);
    expect(first.responses.map((r) => r.content)).toEqual(["x\n\nHuman: B\n\nAssistant: y", "x\n\nHuman: C\n\nAssistant: z"]);
    expect(first.meta).toEqual({ hh: { responseTurns: { chosen: 3, rejected: 3 } } });
    // Diverging at an Assistant turn, with sides of different lengths.
    const atAssistant = {
      chosen: "\n\nHuman: A\n\nAssistant: x\n\nHuman: more?\n\nAssistant: sure",
      rejected: "\n\nHuman: A\n\nAssistant: no",
    };
    const second = parseHhRow(atAssistant);
    expect(second.responses.map((r) => r.content)).toEqual(["x\n\nHuman: more?\n\nAssistant: sure", "no"]);
    // Written back as the hh export writes a pair, each side is the text it came from.
    for (const [row, record] of [[atHuman, first], [atAssistant, second]] as const) {
      expect(toHhText([...record.prompt, { role: "assistant", content: record.responses[0]!.content }])).toBe(row.chosen);
      expect(toHhText([...record.prompt, { role: "assistant", content: record.responses[1]!.content }])).toBe(row.rejected);
    }
  });

  it("rejects a side with no Assistant turn after the prompt, and sides that share no Human turn", () => {
    expect(errorOf({ chosen: "\n\nHuman: A\n\nAssistant: x", rejected: "\n\nHuman: A" })).toBe(
      "rejected: expected an Assistant turn after the last shared Human turn",
    );
    expect(errorOf({ chosen: "\n\nAssistant: hello\n\nAssistant: x", rejected: "\n\nAssistant: hello\n\nAssistant: y" })).toBe(
      "chosen and rejected share no Human turn",
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
