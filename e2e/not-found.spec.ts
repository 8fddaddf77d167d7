// A project URL with a malformed or unknown id is a real 404 page, not a 200 with a schema message.
import { randomUUID } from "node:crypto";
import { expect, signInThroughApi, test } from "./fixtures";

test("a malformed or unknown project id in a page URL answers 404", async ({ page, baseURL, makeUser }) => {
  const admin = await makeUser("admin");
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  for (const path of ["/admin/projects/not-a-uuid", `/admin/projects/${randomUUID()}`, `/admin/projects/${randomUUID()}/loop`, `/admin/projects/x/evaluation`, `/label/${randomUUID()}`, "/label/%20"]) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "404 — Not found" })).toBeVisible();
    await expect(page.getByText("Invalid input")).toHaveCount(0);
  }
});
