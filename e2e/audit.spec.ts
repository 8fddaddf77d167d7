// An admin reads who changed what: the audit log page, filtered by project, person and action.
import { callTrpc, expect, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin filters the audit log by project, person and kind of action", async ({ page, baseURL, db, makeUser }) => {
  const [project, annotator, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question 1", responses: ["good answer", "bad answer"] }] }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  await callTrpc(page.request, "exports.createSnapshot", { projectId: project.projectId, request: { format: "rankings" } });

  await page.goto("/admin");
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await page.getByLabel("Project").selectOption({ label: project.name });
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("snapshot.create");
  await expect(rows.nth(0)).toContainText(admin.email);
  await expect(rows.nth(1)).toContainText("import.commit");
  await expect(rows.nth(1)).toContainText("the platform");
  await page.getByLabel("Who").selectOption({ label: admin.email });
  await expect(rows).toHaveCount(1);
  await page.getByLabel("Who").selectOption({ label: "anyone" });
  await page.getByLabel("Action").selectOption({ label: "import.*" });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('"imported":1');
});
