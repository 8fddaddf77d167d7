// The label-budget forecast in a browser: an admin starts a forecast run from the Runs form on a
// labelled project, reads the chart and the answers on the run page, then on the project page.
import { expect, rankAll, registerTinyEncoder, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin forecasts what more labels would buy and reads it on the run and project pages", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(240_000);
  const rows = Array.from({ length: 32 }, (_, i) => ({ prompt: `question ${i}`, responses: [i % 2 ? "good helpful answer" : "good answer", i % 3 ? "bad rude answer" : "rude answer"] }));
  const [model, project, annotator, admin] = await Promise.all([registerTinyEncoder(db), seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("admin")]);
  await rankAll(db, project.projectId, annotator.id);
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/runs");
  await page.getByLabel("Kind").selectOption({ label: "Forecast (what more labels would buy)" });
  await page.getByLabel("Project", { exact: true }).selectOption({ label: project.name });
  await page.getByLabel("Snapshot").selectOption({ label: "New snapshot, from filters…" });
  await page.getByLabel("Base model").selectOption({ label: `${model.name} (base)` });
  await page.getByLabel("Epochs").fill("2");
  await page.getByLabel("Learning rate").fill("0.001");
  await page.getByLabel("Target held-out accuracy, % (optional)").fill("150");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByText("Target accuracy is a percentage between 0 and 100 (both excluded)")).toBeVisible();
  await page.getByLabel("Target held-out accuracy, % (optional)").fill("95");
  await page.getByLabel("More pairs (optional)").fill("40");
  await page.getByLabel("Bootstrap refits").fill("100");
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/admin\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("run-state")).toHaveText("succeeded", { timeout: 150_000 });

  // Five measured runs on growing shares of the labels, the fitted curve, and both answers in words.
  const chart = page.getByTestId("forecast-chart");
  await expect(chart).toHaveAttribute("data-points", "5");
  await expect(chart.locator("svg").first()).toBeVisible();
  const answers = page.getByTestId("forecast-answers");
  await expect(answers).toContainText(/95 %/);
  await expect(answers).toContainText("With 40 more pairs");
  await page.screenshot({ path: test.info().outputPath("forecast-run.png"), fullPage: true });

  await page.goto(`/admin/projects/${project.projectId}`);
  await expect(page.getByTestId("project-forecast")).toBeVisible();
  await page.getByTestId("forecast-run-link").click();
  await expect(page).toHaveURL(/\/admin\/runs\/[0-9a-f-]{36}$/);
});
