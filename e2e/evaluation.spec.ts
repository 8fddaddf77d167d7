// Whether a run helped, in the browser: an admin keeps an evaluation set, runs PPO from the loop
// page, reads the measured before → after rates there, and compares the two policies side by side.
// The e2e worker's built-in models are tiny stand-ins (global-setup.ts), so each run takes seconds.
import { expect, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin edits an evaluation set, and after PPO the loop page and Compare show the policy before and after", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(300_000);
  const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `question ${i}`, responses: ["good helpful answer", "bad rude answer"] }));
  const [project, annotator, admin] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  // The evaluation set: created and filled in the console, one prompt's policy corrected.
  await page.goto(`/admin/projects/${project.projectId}`);
  await page.getByRole("link", { name: "Evaluation sets" }).click();
  await expect(page.getByText("No evaluation set yet")).toBeVisible();
  await page.getByLabel("New set").fill("Regression set");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { name: "Regression set · version 1" })).toBeVisible();
  await page.getByLabel("Add prompts, one per line").fill("good question\nhelpful question");
  await page.getByRole("button", { name: "Add 2 prompts" }).click();
  await expect(page.getByRole("status")).toHaveText("2 added.");
  await page.getByLabel("Add prompts, one per line").fill("rude answer\nbad question");
  await page.getByLabel("Policy of the new prompts").selectOption("disallowed");
  await page.getByRole("button", { name: "Add 2 prompts" }).click();
  await expect(page.getByTestId("evaluation-prompt")).toHaveCount(4);
  const badQuestion = page.getByTestId("evaluation-prompt").filter({ hasText: "bad question" });
  await badQuestion.getByLabel("Prompt policy").selectOption("sensitive");
  await expect(page.getByRole("heading", { name: "Regression set · version 4" })).toBeVisible();
  await expect(page.getByText("4 prompts (2 allowed, 1 sensitive, 1 disallowed)")).toBeVisible();

  // Labels, a reward model and PPO from the loop page.
  await rankAll(db, project.projectId, annotator.id);
  await page.goto(`/admin/projects/${project.projectId}/loop`);
  const step = (id: string) => page.getByTestId(`loop-step-${id}`);
  await step("reward").getByRole("button", { name: "Train reward model" }).click();
  await expect(step("reward").getByTestId("run-state")).toHaveText("succeeded", { timeout: 90_000 });
  await step("policy").getByRole("button", { name: "Run PPO" }).click();
  await expect(step("policy").getByTestId("run-state")).toHaveText("succeeded", { timeout: 150_000 });

  // The new policy and the one it came from are evaluated by themselves; the step leads with the result.
  const headline = step("policy").getByTestId("loop-evaluation");
  await expect(headline).toBeVisible({ timeout: 120_000 });
  // The two policies' evaluations run one after the other; the headline says so until both are in.
  await expect(headline).toContainText("On the evaluation set Regression set, before → after:", { timeout: 120_000 });
  await expect(headline.getByTestId("loop-evaluation-line")).not.toHaveCount(0);
  await expect(headline.getByTestId("loop-evaluation-line").first()).toContainText("→");
  await page.screenshot({ path: test.info().outputPath("loop-evaluation.png"), fullPage: true });

  await headline.getByRole("link", { name: "Compare the two side by side" }).click();
  await expect(page).toHaveURL(/\/admin\/models\/compare\?a=.+&b=.+/);
  const table = page.getByTestId("compare-table");
  await expect(table.getByTestId("compare-row").first()).toBeVisible();
  for (const figure of ["Refusals on allowed prompts (phrase list)", "Mean reward-model score", "Mean length (tokens)"]) await expect(table).toContainText(figure);
  // Every prompt of the set, with both policies' two responses side by side.
  await expect(page.getByTestId("compare-generation")).toHaveCount(4);
  await expect(page.getByTestId("compare-generation").filter({ hasText: "bad question" })).toContainText("sensitive");
  await page.screenshot({ path: test.info().outputPath("compare.png"), fullPage: true });

  // The model's own page lists the evaluation, with its figures and intervals.
  await page.goto("/admin/models");
  const policyName = await db.modelVersion.findFirstOrThrow({ where: { projectId: project.projectId, kind: "policy", checkpointStep: null }, select: { name: true } });
  await page.getByRole("button", { name: policyName.name, exact: true }).click();
  const card = page.getByTestId("evaluation-card").first();
  await expect(card).toContainText("Policy on an evaluation set");
  await expect(card.getByTestId("evaluation-metric").first()).toContainText("(");
  // A human spot check: two of the set's prompts, with the policy's two responses, go to the annotators.
  const spot = card.getByTestId("spot-check");
  await spot.getByLabel("Prompts").fill("2");
  await spot.getByRole("button", { name: "Send to annotators" }).click();
  // A prompt whose two tiny-model responses came out identical cannot be ranked: it is left out, and said so.
  await expect(spot.getByRole("status")).toContainText(/^[12] new tasks?/);
  const created = await db.task.count({ where: { projectId: project.projectId, prompt: { source: "model_generated" } } });
  expect(created).toBeGreaterThan(0);
  if (created === 1) await expect(spot.getByRole("status")).toContainText("1 left out (");
  await expect(spot.getByTestId("spot-check-report")).toContainText(`0 of ${created} tasks labelled`);
});
