import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./safe-redirect";

const app = "http://localhost:3000";

describe("safeRedirectPath", () => {
  it("keeps paths of the app, with their query and fragment", () => {
    expect(safeRedirectPath("/admin/models?kind=reward#top", app)).toBe("/admin/models?kind=reward#top");
    expect(safeRedirectPath("/label/123", app)).toBe("/label/123");
    expect(safeRedirectPath(`${app}/review`, app)).toBe("/review");
  });

  it.each([
    ["/\\evil.example", "a backslash, which browsers read as a slash"],
    ["/%09/evil.example", "an encoded tab that browsers drop, leaving //"],
    ["//evil.example/path", "a protocol-relative URL"],
    ["https://evil.example/", "another origin"],
    ["/\t/evil.example", "a raw tab"],
    ["/%5Cevil.example", "an encoded backslash"],
    ["javascript:alert(1)", "a script URL"],
    ["/%E0%A4%A", "malformed percent-encoding"],
  ])("sends %s home (%s)", (next) => {
    expect(safeRedirectPath(next, app)).toBe("/");
  });

  it("sends an empty or missing next home", () => {
    expect(safeRedirectPath("", app)).toBe("/");
    expect(safeRedirectPath(undefined, app)).toBe("/");
  });
});
