import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertStorable, findUnstorable, unstorableReason } from "./storable";

describe("storable text", () => {
  it("accepts ordinary text, emoji (surrogate pairs) and the replacement character", () => {
    for (const s of ["", "plain", "naïve 日本語", "👍🏽 family 👨‍👩‍👧", "\uFFFD", "tab\tand\nnewline", "\u0001 control"]) expect(unstorableReason(s)).toBeNull();
  });

  it("names NUL and lone surrogates, high or low, anywhere in the string", () => {
    expect(unstorableReason("nul\u0000name")).toMatch(/NUL character \(U\+0000\)/);
    expect(unstorableReason("\uD800")).toMatch(/lone UTF-16 surrogate \(U\+D800\)/);
    expect(unstorableReason("a\uDC00b")).toMatch(/lone UTF-16 surrogate \(U\+DC00\)/);
    expect(unstorableReason("\uD83D\uD83D\uDC4D")).toMatch(/U\+D83D/);
    expect(unstorableReason("end\uDBFF")).toMatch(/U\+DBFF/);
  });

  it("finds the first bad string in nested values and keys, with its path", () => {
    expect(findUnstorable({ a: [{ b: "ok" }, { c: "x\u0000" }] })).toEqual({ path: "a.1.c", reason: expect.stringMatching(/NUL/) });
    expect(findUnstorable({ meta: { "k\uD800": 1 } })?.path).toBe("meta (a key)");
    expect(findUnstorable([1, null, true, new Date(), "fine"])).toBeNull();
    expect(() => assertStorable({ name: "nul\u0000" })).toThrow("name: contains a NUL character");
  });

  it("agrees with a UTF-8 round trip: text is storable exactly when it survives one and has no NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (s) => {
        const survives = Buffer.from(s, "utf8").toString("utf8") === s;
        expect(unstorableReason(s) === null).toBe(survives && !s.includes("\u0000"));
      }),
      { numRuns: 2000 },
    );
  });
});
