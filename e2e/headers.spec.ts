// Security headers on every kind of answer: a page, a redirect, a tRPC call, the REST API, a 404.
import { expect, test } from "./fixtures";

test("pages and API answers carry the security headers and do not name the framework", async ({ page, request }) => {
  for (const path of ["/sign-in", "/admin", "/api/health", "/api/trpc/health.check", "/api/v1/openapi.json", "/no-such-page"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    const h = res.headers();
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"], path).toContain("default-src 'self'");
    expect(h["content-security-policy"], path).not.toContain("unsafe-eval");
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
    expect(h["x-frame-options"], path).toBe("DENY");
    expect(h["x-powered-by"], path).toBeUndefined();
    // Served over http here: no HSTS (it would be ignored, and wrong for a laptop).
    expect(h["strict-transport-security"], path).toBeUndefined();
  }
  // The policy does not break the app: the sign-in page renders and hydrates (the form answers).
  const violations: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("wrong-password-123");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  expect(violations).toEqual([]);
});

test("a tRPC request may batch at most 20 calls", async ({ request }) => {
  const batch = (n: number) => `/api/trpc/${Array.from({ length: n }, () => "health.check").join(",")}?batch=1&input=${encodeURIComponent("{}")}`;
  expect((await request.get(batch(20))).status()).toBe(200);
  const refused = await request.get(batch(1000));
  expect(refused.status()).toBe(413);
  expect(await refused.text()).toContain("A request may batch at most 20 calls; this one has 1000.");
});

test("an API path with malformed percent-encoding answers JSON, not an HTML page", async ({ request }) => {
  for (const path of ["/api/v1/projects/%E0%A4%A/export?format=pairs", "/api/v1/projects/%zz/snapshots", "/api/trpc/health.check%"]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(400);
    expect(res.headers()["content-type"], path).toContain("application/json");
    expect(((await res.json()) as { error: { message: string } }).error.message, path).toMatch(/malformed percent-encoding/);
  }
});
