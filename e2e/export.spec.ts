// A lead exports from the console: the row count before the click, a streamed download, and a
// snapshot with its manifest, without an API key.
import { readFile } from "node:fs/promises";
import { expect, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin downloads an export and a snapshot's manifest from the console", async ({ page, baseURL, db, makeUser }) => {
  const rows = [0, 1, 2].map((i) => ({ prompt: `question ${i}`, responses: [`good answer ${i}`, `bad answer ${i}`] }));
  const [project, annotator, admin] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/exports");
  await page.getByLabel("Project").selectOption({ label: project.name });
  await expect(page.getByTestId("export-row-count")).toHaveText("3 records");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-download").click()]);
  expect(download.suggestedFilename()).toBe(`${project.projectId}-pairs.jsonl`);
  const text = await readFile((await download.path())!, "utf8");
  expect(text.trim().split("\n").map((l) => (JSON.parse(l) as { chosen: unknown }).chosen)).toHaveLength(3);

  await page.getByRole("button", { name: "Create snapshot" }).click();
  const manifestLink = page.getByRole("link", { name: "manifest" });
  await expect(manifestLink).toHaveCount(1);
  const [manifestDownload] = await Promise.all([page.waitForEvent("download"), manifestLink.click()]);
  const manifest = JSON.parse(await readFile((await manifestDownload.path())!, "utf8")) as { rowCount: number; sha256: string };
  expect(manifest.rowCount).toBe(3);
  expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
});
