import { demoAccounts, expect, signInThroughApi, signInThroughForm, test } from "./fixtures";

const sessionCookie = (cookies: { name: string }[]) => cookies.find((c) => c.name.includes("session_token"));

test("the seeded admin signs in and sees the admin landing page", async ({ page }) => {
  await signInThroughForm(page, demoAccounts.admin.email, demoAccounts.admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { name: "Admin console" })).toBeVisible();
  await expect(page.getByTestId("current-user")).toContainText(`${demoAccounts.admin.email} · admin`);
  await expect(page.getByRole("cell", { name: demoAccounts.annotator.email, exact: true })).toBeVisible();
});

test("an annotator signs in, lands on the labelling queue, and gets 403 on an admin page", async ({ page }) => {
  await signInThroughForm(page, demoAccounts.annotator.email, demoAccounts.annotator.password);
  await expect(page).toHaveURL(/\/queue$/);
  await expect(page.getByTestId("project").first()).toContainText("Demo: helpful and harmless");
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);

  const res = await page.goto("/admin");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "403 — Forbidden" })).toBeVisible();
  // The data behind the page is refused by the server too, not only hidden.
  const api = await page.request.get("/api/trpc/users.list");
  expect(api.status()).toBe(403);
});

test("a wrong password shows an error and creates no session", async ({ page, context }) => {
  await signInThroughForm(page, demoAccounts.admin.email, "definitely-wrong");
  await expect(page.getByRole("alert").filter({ hasText: /invalid email or password/i })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in/);
  expect(sessionCookie(await context.cookies())).toBeUndefined();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin/);
});

test("an admin invites a user, who signs in; a deactivated user cannot", async ({ page, baseURL, makeUser, browser }) => {
  const admin = await makeUser("admin");
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  await page.goto("/admin");
  const email = `invited-${Date.now()}@e2e.example`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Name").fill("Invited Person");
  await page.getByLabel("Role", { exact: true }).selectOption("reviewer");
  await page.getByRole("button", { name: "Invite user" }).click();
  const password = (await page.getByTestId("invite-result").locator("code").textContent())!;
  expect(password.length).toBeGreaterThanOrEqual(12);
  // The same email again: the error shows, and the earlier password is no longer on screen.
  await page.getByRole("button", { name: "Invite user" }).click();
  await expect(page.getByRole("alert").filter({ hasText: `A user with email ${email} already exists` })).toBeVisible();
  await expect(page.getByTestId("invite-result")).toHaveCount(0);

  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await signInThroughForm(otherPage, email, password);
  // The password was generated and shown to the admin: the new user chooses their own first.
  await expect(otherPage).toHaveURL(/\/account\/password\?next=%2F$/);
  await otherPage.getByLabel("Current password").fill(password);
  await otherPage.getByLabel("New password (at least 12 characters)").fill("my-own-password-42");
  await otherPage.getByLabel("New password again").fill("my-own-password-42");
  await otherPage.getByRole("button", { name: "Save password" }).click();
  await expect(otherPage).toHaveURL(/\/queue$/);
  await expect(otherPage.getByTestId("current-user")).toContainText(`${email} · reviewer`);

  await page.getByLabel(`Role of ${email}`).selectOption("annotator");
  await expect(page.getByTestId("users-notice")).toHaveText(`${email} is now an annotator.`);
  await page.getByRole("row", { name: new RegExp(email) }).getByRole("button", { name: "Deactivate…" }).click();
  const dialog = page.getByRole("dialog", { name: `Deactivate ${email}?` });
  await dialog.getByRole("button", { name: "Deactivate", exact: true }).click();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toContainText("deactivated");
  await expect(page.getByTestId("users-notice")).toContainText(`${email} is deactivated`);
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/sign-in/);
  await signInThroughForm(otherPage, email, "my-own-password-42");
  await expect(otherPage.getByRole("alert").filter({ hasText: /deactivated/ })).toBeVisible();
  await other.close();
});

test("an admin sends a ping job and watches a worker complete it", async ({ page, baseURL, makeUser }) => {
  const admin = await makeUser("admin");
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  await page.goto("/admin");
  await page.getByRole("button", { name: "Send ping job" }).click();
  await expect(page.getByTestId("job-row").first().getByTestId("job-state")).toHaveText("succeeded", { timeout: 15_000 });
});

test("a sign-in link cannot send a user to another site afterwards", async ({ page, baseURL }) => {
  await signInThroughApi(page, baseURL!, demoAccounts.annotator.email, demoAccounts.annotator.password);
  for (const next of ["/\\evil.example", "/%09/evil.example", "//evil.example"]) {
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    // Home (the annotator's queue), on this site: never evil.example.
    await expect(page).toHaveURL(new RegExp(`^${baseURL}/queue$`));
  }
  await page.goto(`/sign-in?next=${encodeURIComponent("/label/x?y=1")}`);
  await expect(page).toHaveURL(new RegExp(`^${baseURL}/label/x\\?y=1$`));
});
