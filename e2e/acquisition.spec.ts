// Active learning in a browser: an admin trains two reward models, starts an acquisition run from the
// Runs form with both as the ensemble, reads the ranked tasks on the project page and switches the
// labelling order to uncertainty; the annotator's next task is then the top-ranked one.
import { callTrpc, expect, importRows, rankAll, registerTinyEncoder, seedProject, signInThroughApi, test } from "./fixtures";

const hostile = `<img src=x onerror="window.__acquisitionPwned = 1"> which answer?`;

test("an admin ranks the unlabelled tasks by ensemble disagreement and labels them in that order", async ({ page, baseURL, db, makeUser, browser }) => {
  test.setTimeout(240_000);
  const labelled = Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i}`, responses: ["good helpful answer", "bad rude answer"] }));
  const [model, project, ranker, admin] = await Promise.all([registerTinyEncoder(db), seedProject(db, { k: 2, rows: labelled }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, ranker.id);
  await importRows(db, project.projectId, [
    { prompt: "question open a", responses: ["good answer", "rude answer"] },
    { prompt: "question open b", responses: ["helpful question", "bad question"] },
    { prompt: hostile, responses: ["good rude", "helpful bad"] },
  ]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  // Uncertainty order needs an acquisition run: refused, and the order stays as it was.
  await page.goto(`/admin/projects/${project.projectId}`);
  await expect(page.getByTestId("acquisition-none")).toBeVisible();
  const order = page.getByRole("radiogroup", { name: "Labelling order" });
  await order.getByRole("radio", { name: "uncertainty" }).click();
  await expect(page.getByText("No acquisition run has scored this project's tasks yet: start an acquire run")).toBeVisible();
  await expect(order.getByRole("radio", { name: "imported" })).toHaveAttribute("aria-checked", "true");
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId } })).taskOrder).toBe("imported");

  // Two reward models on the labels, with different seeds: the ensemble.
  for (const seed of [1, 2]) {
    await callTrpc(page.request, "runs.start", {
      kind: "train_reward",
      payload: { baseModelId: model.id, name: `ensemble-${seed}-${project.projectId.slice(0, 8)}`, config: { epochs: 2, batch_size: 4, eval_fraction: 0, seed, lr: 1e-3, device: "cpu" } },
      newSnapshot: { projectId: project.projectId, request: { format: "rankings" } },
    });
  }
  await expect
    .poll(async () => db.modelVersion.count({ where: { kind: "reward", checkpointStep: null, snapshot: { projectId: project.projectId } } }), { timeout: 120_000 })
    .toBe(2);

  // The acquisition run from the console's form, both reward models ticked.
  await page.goto("/admin/runs");
  await page.getByLabel("Kind").selectOption({ label: "Acquisition (which tasks to label next)" });
  await page.getByLabel("Project (its unlabelled tasks are scored)").selectOption({ label: project.name });
  for (const seed of [1, 2]) await page.getByLabel(`ensemble-${seed}-${project.projectId.slice(0, 8)}`).check();
  await expect(page.getByText("2 chosen.")).toBeVisible();
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/admin\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("run-state")).toHaveText("succeeded", { timeout: 90_000 });

  // The project page lists the three open tasks by rank; the hostile prompt is text, never markup.
  await page.goto(`/admin/projects/${project.projectId}`);
  const rows = page.getByTestId("acquisition-row");
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId("acquisition-table")).toContainText(hostile);
  await expect(page.getByTestId("acquisition-table").locator("img")).toHaveCount(0);
  expect(await page.evaluate(() => (window as { __acquisitionPwned?: number }).__acquisitionPwned)).toBeUndefined();

  await order.getByRole("radio", { name: "uncertainty" }).click();
  await expect(order.getByRole("radio", { name: "uncertainty" })).toHaveAttribute("aria-checked", "true");

  // A new annotator's first task is the run's rank 1.
  const job = await db.job.findFirstOrThrow({ where: { kind: "acquire", createdById: admin.id }, orderBy: { createdAt: "desc" } });
  const top = await db.taskAcquisition.findFirstOrThrow({ where: { jobId: job.id, rank: 1 }, select: { task: { select: { prompt: { select: { messages: true } } } } } });
  const annotator = await makeUser("annotator", [project.projectId]);
  const annotatorContext = await browser.newContext({ baseURL });
  const annotatorPage = await annotatorContext.newPage();
  await signInThroughApi(annotatorPage, baseURL!, annotator.email, annotator.password);
  await annotatorPage.goto(`/label/${project.projectId}`);
  const [message] = top.task.prompt.messages as { content: string }[];
  await expect(annotatorPage.getByTestId("task")).toContainText(message!.content);
  await annotatorContext.close();
});
