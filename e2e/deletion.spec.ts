// An admin deletes a conversation from the console: the dialog shows what it reaches first, will
// not delete without a reason, then shows the result and rebuilds an affected snapshot in one click.
import { randomUUID } from "node:crypto";
import { callTrpc, expect, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("the deletion dialog shows the dry run, requires a reason, deletes and rebuilds a snapshot", async ({ page, baseURL, db, makeUser }) => {
  const secret = `question about <b>my address</b> ${randomUUID().slice(0, 8)}`;
  const rows = [
    { prompt: secret, responses: ["good answer one", "bad answer one"] },
    { prompt: "question kept", responses: ["good answer two", "bad answer two"] },
  ];
  const [project, annotator, admin] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  const snapshot = await callTrpc<{ id: string; sha256: string }>(page.request, "exports.createSnapshot", { projectId: project.projectId, request: { format: "hh", aggregate: "raw" } });
  const job = await db.job.create({ data: { kind: "train_reward", payload: {}, state: "succeeded" }, select: { id: true } });
  const model = await db.modelVersion.create({ data: { kind: "reward", name: `rm ${randomUUID().slice(0, 8)}`, path: "models/rm", jobId: job.id, snapshotId: snapshot.id, projectId: project.projectId }, select: { id: true, name: true } });

  await page.goto(`/admin/projects/${project.projectId}`);
  await page.getByRole("link", { name: "Data" }).click();
  await page.getByLabel("Text or id of the conversation").fill("my address");
  await page.getByRole("button", { name: "Search" }).click();
  const row = page.getByTestId("conversation-row");
  await expect(row).toHaveCount(1);
  // The prompt is shown as text, never as markup.
  await expect(row).toContainText(secret);
  await expect(row.locator("b")).toHaveCount(0);

  await row.getByRole("button", { name: "Delete conversation…" }).click();
  const dialog = page.getByTestId("deletion-dialog");
  const preview = dialog.getByTestId("deletion-preview");
  await expect(preview).toContainText("Will delete: 1 task(s), 2 response(s), 1 annotation(s)");
  await expect(preview.getByTestId("affected-snapshot")).toHaveCount(1);
  await expect(preview.getByTestId("affected-snapshot")).toContainText(snapshot.id.slice(0, 8));
  await expect(preview.getByTestId("affected-model")).toHaveText(new RegExp(`${model.name} \\(reward\\) · trained on snapshot ${snapshot.id}`));
  // Nothing is deleted by looking.
  expect(await db.prompt.count({ where: { projectId: project.projectId } })).toBe(2);

  const confirm = dialog.getByRole("button", { name: "Delete for good" });
  await expect(dialog).toContainText("A reason is required");
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel("Reason (kept in the record)").fill("Erasure request from the user");
  await confirm.click();

  const result = dialog.getByTestId("deletion-result");
  await expect(result).toContainText("Deleted: 1 task(s)");
  await expect(result).toContainText("1 model version(s) were flagged for retraining");
  expect(await db.prompt.count({ where: { projectId: project.projectId } })).toBe(1);
  expect((await db.modelVersion.findUniqueOrThrow({ where: { id: model.id } })).retrainFlaggedAt).not.toBeNull();

  await result.getByRole("button", { name: "Rebuild without deleted data" }).click();
  await expect(result.getByTestId("rebuilt")).toContainText("rebuilt as");
  const rebuilt = await db.snapshot.findFirstOrThrow({ where: { replacesId: snapshot.id }, select: { sha256: true, rowCount: true } });
  expect(rebuilt.sha256).not.toBe(snapshot.sha256);
  expect(rebuilt.rowCount).toBe(1);

  await dialog.getByRole("button", { name: "Close" }).first().click();
  await expect(page.getByTestId("deletions")).toContainText("Erasure request from the user");

  // The export list marks the old snapshot and names what the new one replaces.
  await page.goto("/admin/exports");
  await page.getByLabel("Project").selectOption({ label: project.name });
  await expect(page.getByTestId("deleted-data-mark")).toHaveText("holds deleted data · rebuilt");
  await expect(page.getByTestId("rebuild-mark")).toHaveText(`replaces ${snapshot.id.slice(0, 8)}`);
  await page.goto("/admin/models");
  await expect(page.getByTestId("model-row").filter({ hasText: model.name }).getByTestId("retrain-badge")).toBeVisible();
});
