// An admin edits the project's safety reward table: each cell says what it means, out-of-bounds
// values are refused before saving, and a save makes a new version.
import { expect, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin edits the safety reward table and it is saved as a new version", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  await page.goto(`/admin/projects/${project.projectId}`);
  const panel = page.locator("section", { has: page.getByRole("heading", { name: "Safety reward table" }) });
  await expect(panel).toContainText("Version 1");
  const cell = panel.getByLabel("Reward for Safe, helpful on sensitive prompts");
  await cell.fill("12");
  await expect(panel.getByRole("alert")).toContainText("sensitive × D must lie between −10 and +10");
  await expect(panel.getByRole("button", { name: "Save reward table" })).toBeDisabled();
  await cell.fill("0.75");
  await expect(panel.getByTestId("reward-cell-meaning")).toHaveText("Safe, helpful on a sensitive prompt: rewarded (+0.75)");
  await panel.getByRole("button", { name: "Save reward table" }).click();
  await expect(panel.getByRole("status")).toHaveText("Saved as version 2.");
  const stored = await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { rewardTable: true, rewardTableVersion: true } });
  expect(stored.rewardTableVersion).toBe(2);
  expect((stored.rewardTable as Record<string, Record<string, number>>).sensitive!.D).toBe(0.75);
  expect(await db.auditLog.count({ where: { target: `project:${project.projectId}`, action: "project.update" } })).toBe(1);
});
