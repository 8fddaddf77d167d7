// An admin sets which production feedback becomes labelling work: bad values are refused before
// saving, a save is stored and audited, and the form shows the stored rule after a reload.
import { expect, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin sets the production feedback sampling rule", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  await page.goto(`/admin/projects/${project.projectId}`);
  const panel = page.locator("section", { has: page.getByRole("heading", { name: "Production feedback sampling" }) });
  const down = panel.getByLabel("Thumbs-down conversations sampled");
  await down.fill("150");
  await expect(panel.getByRole("alert")).toContainText("downShare is a percentage from 0 to 100");
  await expect(panel.getByRole("button", { name: "Save sampling rule" })).toBeDisabled();
  await down.fill("25");
  await panel.getByLabel("Thumbs-up conversations sampled").fill("5");
  await panel.getByLabel("At most per model").fill("100");
  await panel.getByRole("button", { name: "Save sampling rule" }).click();
  await expect(panel.getByRole("status")).toHaveText("Saved.");
  const stored = await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { feedbackSampling: true } });
  expect(stored.feedbackSampling).toEqual({ downShare: 0.25, upShare: 0.05, unratedShare: 0, perModelQuota: 100, dedupByPrompt: true });
  expect(await db.auditLog.count({ where: { target: `project:${project.projectId}`, action: "project.update" } })).toBe(1);
  await page.reload();
  await expect(page.getByLabel("Thumbs-down conversations sampled")).toHaveValue("25");
});
