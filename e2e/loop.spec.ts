// The demo path of `make dev` in a browser: an admin walks a labelled project through the training
// loop page (reward model → policy (PPO) → promote → generate) and the new tasks come back for labelling.
// The e2e worker's built-in models are tiny stand-ins (global-setup.ts), so each step takes seconds.
import type { Locator } from "@playwright/test";
import { expect, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

/** A step's latest run has finished well (its state badge reads "succeeded"). */
async function expectSucceeded(step: Locator, timeout: number) {
  await expect(step.getByTestId("run-state")).toHaveText("succeeded", { timeout });
}

test("an admin walks the training loop from labels to new tasks", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(300_000);
  const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i}`, responses: ["good helpful answer", "bad rude answer"] }));
  const [project, annotator, admin] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto(`/admin/projects/${project.projectId}`);
  await page.getByRole("link", { name: "Training loop" }).click();
  const step = (id: string) => page.getByTestId(`loop-step-${id}`);
  await expect(page.getByTestId("loop-workers")).toContainText("worker");
  // Nothing labelled yet: the first training step waits for labels.
  await expect(step("label")).toContainText("0 tasks labelled");
  await expect(step("reward").getByRole("button", { name: "Train reward model" })).toBeDisabled();

  await rankAll(db, project.projectId, annotator.id);
  await expect(step("label")).toContainText("8 tasks labelled", { timeout: 15_000 });
  await step("reward").getByRole("button", { name: "Train reward model" }).click();
  await expect(step("reward").getByTestId("run-state")).toBeVisible();
  await expectSucceeded(step("reward"), 90_000);
  await expect(step("reward")).toContainText("Reward model reward-");

  // The route defaults to PPO; the other two are offered beside it.
  await expect(step("policy").getByLabel("Route")).toHaveValue("ppo");
  await expect(step("policy").getByLabel("Route").locator("option")).toHaveText(["PPO against the reward model", "GRPO against the reward model", "DPO straight from the labels"]);
  await step("policy").getByRole("button", { name: "Run PPO" }).click();
  await expectSucceeded(step("policy"), 150_000);
  await expect(step("policy")).toContainText("New policy ppo-");
  const policyName = (await step("policy").getByTestId("trained-model").textContent())!;

  // The project has no evaluation set, so the release gates are not measured: an override it is.
  await expect(step("promote").getByTestId("release-gates")).toContainText("the project has no evaluation set with prompts");
  await step("promote").getByLabel("Override reason").fill("No evaluation set in this demo project yet");
  await step("promote").getByRole("button", { name: "Override and promote" }).click();
  await expect(step("promote")).toContainText(`Current policy: ${policyName}`);
  await expect(step("promote").getByLabel("done")).toBeVisible();

  await step("generate").getByRole("button", { name: "Generate" }).click();
  await expectSucceeded(step("generate"), 90_000);
  await expect(step("generate")).toContainText(/\d+ new tasks/);
  const created = await db.task.count({ where: { projectId: project.projectId, annotationCount: 0 } });
  expect(created).toBeGreaterThan(0);
  await expect(step("generate")).toContainText(`${created} new tasks`);
  await expect(step("label")).toContainText(`${created} open`);

  // The new tasks are the promoted policy's answers, waiting for an annotator.
  const policy = await db.modelVersion.findFirstOrThrow({ where: { name: policyName }, select: { id: true } });
  const responses = await db.response.findMany({ where: { task: { projectId: project.projectId, annotationCount: 0 } }, select: { model: true } });
  expect(new Set(responses.map((r) => r.model))).toEqual(new Set([policy.id]));
  await step("generate").getByRole("link", { name: "Label them" }).click();
  await expect(page).toHaveURL(new RegExp(`/label/${project.projectId}$`));
  await expect(page.getByTestId("task")).toBeVisible();
});
