import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatPath, ImportRowError, parseRow } from "./import-row-error";

function errorOf(schema: z.ZodType, value: unknown): string {
  try {
    parseRow(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportRowError);
    return (error as Error).message;
  }
  throw new Error("expected the value to be rejected");
}

describe("parseRow", () => {
  it("returns the parsed value when it is valid", () => {
    expect(parseRow(z.object({ a: z.number().default(1) }), {})).toEqual({ a: 1 });
  });

  it("reports only the first problem, with its path", () => {
    const schema = z.object({ a: z.array(z.object({ b: z.number() })), c: z.string() });
    expect(errorOf(schema, { a: [{ b: 1 }, { b: "2" }] })).toBe("a[1].b: expected number, got string");
  });

  it("prefers a message set on the schema over the short default", () => {
    expect(errorOf(z.object({ n: z.number().max(3, "too many") }), { n: 4 })).toBe("n: too many");
    expect(errorOf(z.object({ n: z.number().max(3) }), { n: 4 })).toBe("n: expected at most 3");
  });

  it("looks inside the union branch that matches the value's type", () => {
    const schema = z.object({ p: z.union([z.string(), z.array(z.object({ role: z.enum(["user"]) }))]) });
    expect(errorOf(schema, { p: [{ role: "bot" }] })).toBe("p[0].role: expected one of user");
    expect(errorOf(schema, { p: null })).toBe("p: expected string or array, got null");
  });
});

describe("formatPath", () => {
  it("writes keys with dots and indices in brackets", () => {
    expect(formatPath(["responses", 2, "content"])).toBe("responses[2].content");
    expect(formatPath([0, "role"])).toBe("[0].role");
    expect(formatPath([])).toBe("");
  });
});
