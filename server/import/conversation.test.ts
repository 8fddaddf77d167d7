import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Message, parseHhText, toHhText, ZMessages } from "./conversation";

describe("ZMessages", () => {
  it("keeps role and content and drops other keys", () => {
    expect(ZMessages.parse([{ role: "user", content: "hi", name: "bob" }])).toEqual([{ role: "user", content: "hi" }]);
  });

  it("rejects an empty list, an unknown role, over-long content and too many messages", () => {
    expect(ZMessages.safeParse([]).success).toBe(false);
    expect(ZMessages.safeParse([{ role: "tool", content: "x" }]).success).toBe(false);
    expect(ZMessages.safeParse([{ role: "user", content: "x".repeat(100_001) }]).success).toBe(false);
    expect(ZMessages.safeParse([{ role: "user", content: "x".repeat(100_000) }]).success).toBe(true);
    const many = Array.from({ length: 201 }, () => ({ role: "user", content: "x" }));
    expect(ZMessages.safeParse(many).success).toBe(false);
    expect(ZMessages.safeParse(many.slice(1)).success).toBe(true);
  });
});

describe("toHhText", () => {
  it("renders turns as Human and Assistant segments", () => {
    const text = toHhText([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "How are you?" },
    ]);
    expect(text).toBe("\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: How are you?");
  });

  it("prefixes system content to the next Human turn with a blank line", () => {
    const text = toHhText([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
    ]);
    expect(text).toBe("\n\nHuman: Be brief.\n\nHi\n\nAssistant: Hello");
  });

  it("renders system content with no following user turn as its own Human turn", () => {
    expect(toHhText([{ role: "system", content: "S" }, { role: "assistant", content: "A" }])).toBe(
      "\n\nHuman: S\n\nAssistant: A",
    );
    expect(toHhText([{ role: "user", content: "U" }, { role: "system", content: "S" }])).toBe(
      "\n\nHuman: U\n\nHuman: S",
    );
  });
});

describe("parseHhText", () => {
  it("splits an HH conversation into user and assistant messages", () => {
    expect(parseHhText("\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: Sure?\n\nAssistant: Yes.")).toEqual([
      { role: "user", content: "What is 2+2?" },
      { role: "assistant", content: "4." },
      { role: "user", content: "Sure?" },
      { role: "assistant", content: "Yes." },
    ]);
  });

  it("keeps newlines and near-markers inside content verbatim", () => {
    expect(parseHhText("\n\nHuman: a\n\nHuman b\nAssistant: c\n\n\n\nAssistant:  two spaces\n")).toEqual([
      { role: "user", content: "a\n\nHuman b\nAssistant: c\n\n" },
      { role: "assistant", content: " two spaces\n" },
    ]);
  });

  it("reads an empty final Assistant turn with or without the space", () => {
    expect(parseHhText("\n\nHuman: hi\n\nAssistant:")).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "" },
    ]);
    expect(parseHhText("\n\nHuman: hi\n\nAssistant: ").at(-1)).toEqual({ role: "assistant", content: "" });
  });

  it("accepts a text whose leading newlines were dropped", () => {
    expect(parseHhText("Human: hi\n\nAssistant: yo")).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "yo" },
    ]);
  });

  it("rejects text that does not start with a turn", () => {
    const message = String.raw`expected the text to start with "\n\nHuman:"`;
    expect(() => parseHhText("")).toThrow(message);
    expect(() => parseHhText("hello")).toThrow(message);
    expect(() => parseHhText("preamble\n\nHuman: hi")).toThrow(message);
    expect(() => parseHhText("\nHuman: hi")).toThrow(message);
  });

  it("round-trips multi-turn unicode conversations", () => {
    const messages: Message[] = [
      { role: "user", content: "Ça va? 日本語で答えて 🙂" },
      { role: "assistant", content: "はい、元気です。\n\n👍🏽 — ok" },
      { role: "user", content: "" },
      { role: "assistant", content: " leading space and trailing newline\n" },
    ];
    expect(parseHhText(toHhText(messages))).toEqual(messages);
  });

  it("inverts toHhText for any alternating conversation without markers in its content", () => {
    const fragment = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom("\n", "\n\n", " ", "Human:", "Assistant:", "\n\nHuman", "\nAssistant:", "é", "日本", "🦜"),
    );
    const content = fc
      .array(fragment, { maxLength: 6 })
      .map((parts) => parts.join(""))
      .filter((text) => !text.includes("\n\nHuman:") && !text.includes("\n\nAssistant:"));
    const conversation = fc
      .array(content, { minLength: 1, maxLength: 8 })
      .map((contents): Message[] =>
        contents.map((text, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: text })),
      );
    fc.assert(
      fc.property(conversation, (messages) => {
        expect(parseHhText(toHhText(messages))).toEqual(messages);
      }),
      { numRuns: 200 },
    );
  });
});
