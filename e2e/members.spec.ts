// An admin adds an annotator to a project; until then the annotator neither sees nor labels it.
import { expect, seedProject, signInThroughApi, test } from "./fixtures";

test("an annotator labels a project only once an admin has made them a member", async ({ page, browser, baseURL, db, makeUser }) => {
  const [project, annotator, admin] = await Promise.all([
    seedProject(db, { k: 2, rows: [{ prompt: "question 1", responses: ["good answer", "bad answer"] }] }),
    makeUser("annotator"),
    makeUser("admin"),
  ]);

  await signInThroughApi(page, baseURL!, annotator.email, annotator.password);
  await page.goto("/queue");
  await expect(page.getByText("You are not a member of any active project yet")).toBeVisible();
  await page.goto(`/label/${project.projectId}`);
  await expect(page.getByText("You are not a member of this project")).toBeVisible();

  const adminPage = await (await browser.newContext({ baseURL })).newPage();
  await signInThroughApi(adminPage, baseURL!, admin.email, admin.password);
  await adminPage.goto(`/admin/projects/${project.projectId}`);
  const members = adminPage.locator("section", { has: adminPage.getByRole("heading", { name: "Members", exact: true }) });
  await expect(members.getByRole("status")).toContainText("nobody can label this project");
  await members.getByLabel("Add a person").selectOption({ label: `E2E annotator (${annotator.email}, annotator)` });
  await members.getByRole("button", { name: "Add", exact: true }).click();
  await expect(members.getByRole("cell", { name: annotator.email, exact: true })).toBeVisible();
  await expect(members.getByRole("status")).toHaveCount(0);

  await page.goto("/queue");
  await page.getByRole("link", { name: new RegExp(project.name) }).first().click();
  await expect(page).toHaveURL(new RegExp(`/label/${project.projectId}$`));
  await expect(page.getByRole("article").getByText("good answer")).toBeVisible();

  // Removed again: the lease goes back to the pool and the project leaves the queue.
  await members.getByRole("button", { name: `Remove ${annotator.email}` }).click();
  await expect(members.getByRole("cell", { name: annotator.email, exact: true })).toHaveCount(0);
  expect(await db.assignment.count({ where: { annotatorId: annotator.id, state: "leased" } })).toBe(0);
  await page.goto("/queue");
  await expect(page.getByText("You are not a member of any active project yet")).toBeVisible();
});
