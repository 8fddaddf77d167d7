import { callTrpc, expect, rankAll, registerTinyEncoder, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin starts a reward-model run from the console and watches it train to completion", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(90_000);
  const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i}`, responses: ["good helpful answer", "bad rude answer"] }));
  const [model, labelled, unlabelled, annotator, admin] = await Promise.all([
    registerTinyEncoder(db),
    seedProject(db, { k: 2, rows }),
    seedProject(db, { k: 2, rows: rows.slice(0, 2) }),
    makeUser("annotator"),
    makeUser("admin"),
  ]);
  await rankAll(db, labelled.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  // A snapshot through the exports API, so it lands in the server's artifact directory.
  const empty = await callTrpc<{ id: string }>(page.request, "exports.createSnapshot", { projectId: unlabelled.projectId, request: { format: "rankings" } });

  await page.goto("/admin");
  await page.getByRole("link", { name: "Runs" }).click();
  await expect(page.getByRole("heading", { name: "New run" })).toBeVisible();

  // Bad input is refused in the form: first by the form itself, then by the server, before anything is queued.
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("Choose a project")).toBeVisible();
  await page.getByLabel("Project").selectOption({ label: unlabelled.name });
  await page.getByLabel("Snapshot").selectOption(empty.id);
  await page.getByLabel("Learning rate").fill("2");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("Learning rate must be a number in (0, 1]")).toBeVisible();
  await page.getByLabel("Learning rate").fill("0.001");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /is empty/ })).toBeVisible();
  // A new snapshot from filters that match nothing is refused too, and none is kept.
  await page.getByLabel("Snapshot").selectOption({ label: "New snapshot, from filters…" });
  await expect(page.getByTestId("new-snapshot-filters")).toBeVisible();
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "No labelled data in this project matches these filters" })).toBeVisible();
  expect(await db.job.count({ where: { kind: "train_reward", createdById: admin.id } })).toBe(0);
  expect(await db.snapshot.count({ where: { projectId: unlabelled.projectId } })).toBe(1);

  // The labelled project has no snapshot yet: the run freezes one from its labels when it starts.
  await page.getByLabel("Project").selectOption({ label: labelled.name });
  await page.getByLabel("Snapshot").selectOption({ label: "New snapshot, from filters…" });
  await page.getByLabel("Base model").selectOption({ label: `${model.name} (base)` });
  await page.getByLabel("Epochs").fill("4");
  await page.getByLabel("Batch size").fill("2");
  await page.getByRole("button", { name: "Start run" }).click();

  await expect(page).toHaveURL(/\/admin\/runs\/[0-9a-f-]{36}$/);
  const progress = page.getByTestId("run-progress");
  await expect(progress).toBeVisible();
  await expect(page.getByTestId("run-state")).toHaveText(/queued|running|succeeded/);
  // Updates arrive without a reload: the state turns to succeeded, the bar fills, the loss curve has points.
  await expect(page.getByTestId("run-state")).toHaveText("succeeded", { timeout: 60_000 });
  await expect(progress).toHaveAttribute("aria-valuenow", "100");
  const loss = page.locator('[data-testid="metric-chart"][data-metric="train/loss"]');
  await expect(loss).toBeVisible();
  await expect.poll(async () => Number(await loss.getAttribute("data-points"))).toBeGreaterThan(1);
  await expect(loss.locator(".recharts-line path").first()).toBeVisible();
  // The final model and the checkpoint of the last step are both model versions.
  await expect(page.getByTestId("run-output").filter({ hasText: "final" })).toContainText("reward");
  await expect(page.getByTestId("run-output").filter({ hasText: /checkpoint \d+/ })).toHaveCount(1);
  const frozen = await db.snapshot.findMany({ where: { projectId: labelled.projectId }, select: { id: true, format: true, rowCount: true } });
  expect(frozen).toEqual([{ id: expect.any(String), format: "rankings", rowCount: 8 }]);
  const run = await db.job.findFirstOrThrow({ where: { kind: "train_reward", createdById: admin.id }, select: { payload: true } });
  expect(run.payload).toMatchObject({ snapshotId: frozen[0]!.id });

  // The run is listed with its inputs (beside the evaluation of the new model it queued by itself).
  const runPath = new URL(page.url()).pathname;
  await page.getByRole("link", { name: "← Runs" }).click();
  const row = page.getByTestId("run-row").filter({ has: page.locator(`a[href="${runPath}"]`) });
  await expect(row).toContainText(labelled.name);
  await expect(row.getByTestId("run-state")).toHaveText("succeeded");
});

test("the run form asks each kind for its own inputs and shows the server's refusal", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 3, rows: [{ prompt: "question 0", responses: ["a", "b", "c"] }] }), makeUser("admin")]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  const snapshot = await callTrpc<{ id: string }>(page.request, "exports.createSnapshot", { projectId: project.projectId, request: { format: "rankings" } });

  await page.goto("/admin/runs");
  await page.getByLabel("Kind").selectOption({ label: "Generate" });
  await expect(page.getByLabel("Target project (new tasks go here)")).toBeVisible();
  await expect(page.getByLabel("Epochs")).toHaveCount(0);
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("Choose the project the new tasks go to")).toBeVisible();

  await page.getByLabel("Target project (new tasks go here)").selectOption({ label: project.name });
  await expect(page.getByLabel("Samples per prompt (K)")).toHaveValue("3");
  await page.getByLabel("Prompts from", { exact: true }).selectOption({ label: "a list (one per line)" });
  await expect(page.getByLabel("Prompts (one per line)")).toBeVisible();
  await page.getByLabel("Prompts from", { exact: true }).selectOption({ label: "a snapshot" });
  await page.getByLabel("Prompts from project").selectOption({ label: project.name });
  await page.getByLabel("Prompts snapshot").selectOption(snapshot.id);
  await page.getByRole("button", { name: "Start run" }).click();
  // The snapshot of an unlabelled project has no prompts: refused by the server, nothing queued.
  await expect(page.getByRole("alert").filter({ hasText: /is empty/ })).toBeVisible();
  expect(await db.job.count({ where: { createdById: admin.id } })).toBe(0);

  // DPO: the labels and a policy, TRL's losses to choose from, β; checked before the round trip.
  await page.getByLabel("Kind").selectOption({ label: "DPO (policy straight from the labels)" });
  await expect(page.getByLabel("Policy to train (also the reference)")).toBeVisible();
  await expect(page.getByLabel("Loss")).toHaveValue("sigmoid");
  await expect(page.getByLabel("Loss").locator("option")).toContainText(["sigmoid", "hinge", "ipo", "robust"]);
  await page.getByLabel("β").fill("0");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("β must be a number above 0")).toBeVisible();
  // GRPO: like PPO, with G samples per prompt and the reward model optional beside a safety model.
  await page.getByLabel("Kind").selectOption({ label: "GRPO" });
  await expect(page.getByLabel("Samples per prompt (G)")).toHaveValue("4");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("Choose a reward model, a safety model or both")).toBeVisible();
  expect(await db.job.count({ where: { createdById: admin.id } })).toBe(0);
});

test("an admin overlays another finished run's curves on a run's charts", async ({ page, baseURL, db, makeUser }) => {
  const admin = await makeUser("admin");
  const { recordMetrics } = await import("../server/runs/service");
  // Two finished runs with their metrics, as a worker would have left them.
  const finished = async (losses: number[]) => {
    const job = await db.job.create({
      data: { kind: "train_reward", payload: { config: { epochs: 1 } }, state: "succeeded", progress: 1, attempt: 1, startedAt: new Date(Date.now() - 60_000), finishedAt: new Date(), createdById: admin.id },
      select: { id: true },
    });
    await recordMetrics(db, job.id, 1, losses.map((value, i) => ({ step: i + 1, name: "train/loss", value })));
    await recordMetrics(db, job.id, 1, [{ step: losses.length, name: "eval/accuracy", value: 0.8 }]);
    return job.id;
  };
  const [first, second] = [await finished([0.9, 0.7, 0.5, 0.4]), await finished([1.0, 0.8, 0.6])];
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto(`/admin/runs/${first}`);
  await expect(page.getByTestId("run-state")).toHaveText("succeeded");
  const loss = page.locator('[data-testid="metric-chart"][data-metric="train/loss"]');
  await expect(loss).toHaveAttribute("data-points", "4");
  await expect(loss.locator(".recharts-line")).toHaveCount(1);

  await page.getByLabel("Compare with run").selectOption({ value: second });
  // Both curves on one chart, each named in the legend; the second run's points are added.
  await expect(loss).toHaveAttribute("data-points", "7");
  await expect(loss.locator(".recharts-line")).toHaveCount(2);
  await expect(loss.locator(".recharts-legend-wrapper")).toContainText(first.slice(0, 8));
  await expect(loss.locator(".recharts-legend-wrapper")).toContainText(second.slice(0, 8));
  await expect(page.locator('[data-testid="metric-chart"][data-metric="eval/accuracy"]')).toHaveAttribute("data-points", "2");
  // A flat curve (0.8 at both points) gets a narrow value axis around its value, not one stretched far past it.
  const accuracyTick = page.locator('[data-testid="metric-chart"][data-metric="eval/accuracy"] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value');
  await expect(accuracyTick.first()).toBeVisible();
  const accuracyTicks = await accuracyTick.allTextContents();
  expect(accuracyTicks.length).toBeGreaterThan(1);
  for (const tick of accuracyTicks.map(Number)) expect(tick >= 0.7 - 1e-9 && tick <= 0.9 + 1e-9, `tick ${tick}`).toBe(true);

  await page.getByLabel("Compare with run").selectOption({ value: "" });
  await expect(loss).toHaveAttribute("data-points", "4");
  await expect(loss.locator(".recharts-line")).toHaveCount(1);
});

test("an admin cancels a running run from its page; its metrics and checkpoints (model versions) stay listed", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(90_000);
  const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i}`, responses: ["good helpful answer", "bad rude answer"] }));
  const [model, project, annotator, admin] = await Promise.all([registerTinyEncoder(db), seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  const snapshot = await callTrpc<{ id: string }>(page.request, "exports.createSnapshot", { projectId: project.projectId, request: { format: "rankings" } });
  // Far more epochs than the test waits for, with a checkpoint every other step.
  const run = await callTrpc<{ id: string }>(page.request, "runs.start", {
    kind: "train_reward",
    payload: { snapshotId: snapshot.id, baseModelId: model.id, config: { epochs: 10_000, batch_size: 2, eval_every: 2 } },
  });

  // The workers panel shows the worker that runs it, alive, linked to the run's page.
  await page.goto("/admin/runs");
  const worker = page.getByTestId("worker-row").filter({ has: page.getByRole("link", { name: run.id.slice(0, 8) }) });
  await expect(async () => {
    await page.reload();
    await expect(worker).toHaveCount(1, { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(worker.getByTestId("worker-status")).toHaveText("alive");
  await expect(worker).toContainText(/CPUs? · [\d.]+ GiB memory/);
  await worker.getByRole("link", { name: run.id.slice(0, 8) }).click();
  await expect(page).toHaveURL(`/admin/runs/${run.id}`);
  await expect(page.getByTestId("run-state")).toHaveText("running");
  await expect.poll(async () => Number((await page.getByTestId("run-step").textContent())?.match(/step (\d+)/)?.[1] ?? 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
  await page.getByRole("button", { name: "Cancel run" }).click();

  await expect(page.getByTestId("run-state")).toHaveText("cancelled");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await expect(page.getByTestId("run-no-final-model")).toHaveText("No final model: the run was cancelled. Its checkpoints below are model versions.");
  await expect(page.locator('[data-testid="metric-chart"][data-metric="train/loss"]')).toBeVisible();
  await expect(page.getByText(`runs/${run.id}`, { exact: true })).toBeVisible();
  // Its checkpoints are model versions, listed with the run's outputs.
  const checkpoints = page.getByTestId("run-output").filter({ hasText: `runs/${run.id}/checkpoints/step-` });
  await expect(checkpoints.first()).toContainText(/checkpoint \d+/);
  // Still cancelled once the worker has stopped the trainer (it saves a checkpoint on SIGTERM).
  await page.waitForTimeout(6000);
  await page.reload();
  await expect(page.getByTestId("run-state")).toHaveText("cancelled");
  await expect(checkpoints.first()).toBeVisible();
  expect(await db.job.findUniqueOrThrow({ where: { id: run.id }, select: { state: true } })).toEqual({ state: "cancelled" });
});
