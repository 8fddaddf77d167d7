import { describe, expect, it } from "vitest";
import { readableError } from "./panel";

describe("readableError", () => {
  it("turns the server's input errors into sentences and keeps other messages as they are", () => {
    expect(readableError("Invalid input: name: Name the set")).toBe("Name the set.");
    expect(readableError("Invalid input: changes.overlap: Overlap must be at least 1; email: Enter a valid email address")).toBe("Overlap must be at least 1. Enter a valid email address.");
    expect(readableError("Invalid input: prompts.3.policy: expected one of allowed, sensitive, disallowed")).toBe("policy: expected one of allowed, sensitive, disallowed.");
    expect(readableError("A user with email a@b.c already exists")).toBe("A user with email a@b.c already exists");
    expect(readableError("Invalid input: something odd")).toBe("something odd");
  });
});
