import { describe, expect, it } from "vitest";
import { buildImportRecord, contentHash } from "./import-record";
import { parseTasksRow } from "./parse-tasks-row";

const prompt = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi 👋" },
];

describe("contentHash", () => {
  it("ignores key order, unknown message keys, meta and source", () => {
    const a = parseTasksRow({ prompt, responses: ["x", { content: "y", model: "m" }], meta: { a: 1 } });
    const b = parseTasksRow({
      source: "production",
      meta: { b: [2] },
      responses: ["x", { model: "other", content: "y" }],
      prompt: prompt.map((m) => ({ content: m.content, name: "ignored", role: m.role })),
    });
    expect(b.contentHash).toBe(a.contentHash);
  });

  it("changes when a response, the response order or the prompt changes", () => {
    const base = parseTasksRow({ prompt, responses: ["x", "y"] }).contentHash;
    expect(parseTasksRow({ prompt, responses: ["x", "y!"] }).contentHash).not.toBe(base);
    expect(parseTasksRow({ prompt, responses: ["y", "x"] }).contentHash).not.toBe(base);
    expect(parseTasksRow({ prompt: prompt.slice(1), responses: ["x", "y"] }).contentHash).not.toBe(base);
  });

  it("tells apart contents that would collide under naive joining", () => {
    const user = [{ role: "user" as const, content: "q" }];
    expect(contentHash(user, ["a,b", "c"])).not.toBe(contentHash(user, ["a", "b,c"]));
  });
});

describe("buildImportRecord", () => {
  it("names pair sides instead of indices when given names", () => {
    expect(() =>
      buildImportRecord(
        {
          prompt: [{ role: "user", content: "q" }],
          responses: [
            { content: "a", model: null },
            { content: "a", model: null },
          ],
          source: "imported",
          feedback: null,
          meta: {},
          preference: { order: [0, 1], margin: null },
        },
        ["chosen", "rejected"],
      ),
    ).toThrow("chosen and rejected are identical");
  });
});
