import { randomUUID } from "node:crypto";
import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { derivePairs } from "../server/annotation/ranking";
import { callTrpc, expect, signInThroughApi, test } from "./fixtures";

// Every demo prompt has one response from each of these models. Annotator one ranks them in this
// order; annotator two swaps the top two, so each shared task has 5 of 6 response pairs in agreement.
const firstOrder = ["demo-policy-v1", "reference-writer", "demo-policy-v0", "baseline-7b"];
const secondOrder = ["reference-writer", "demo-policy-v1", "demo-policy-v0", "baseline-7b"];

type TaskView = { assignmentId: string; responses: { id: string; label: string }[] } | null;

async function signedInPage(browser: Browser, baseURL: string, user: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signInThroughApi(page, baseURL, user.email, user.password);
  return page;
}

/** Takes the next task and submits the given model order, through the same procedures as the UI. */
async function labelThroughApi(request: APIRequestContext, projectId: string, order: string[], modelOf: Map<string, string>) {
  const task = await callTrpc<TaskView>(request, "annotation.next", { projectId });
  if (!task) throw new Error("labelThroughApi: no task left");
  const groups = order.map((model) => [task.responses.find((r) => modelOf.get(r.id) === model)!.id]);
  await callTrpc(request, "annotation.submit", {
    assignmentId: task.assignmentId,
    idempotencyKey: randomUUID(),
    labels: { ranking: { groups, strengths: ["clear", "clear", "clear"] }, promptPolicy: "allowed" },
    timeSpentMs: 20_000,
  });
}

/** The labelling screen, keyboard only: letter then rank, letter then Shift+3 ("clear"), policy, Enter. */
async function labelThroughUi(page: Page, order: string[], modelOf: Map<string, string>) {
  const items = page.getByTestId("rank-item");
  await expect(items).toHaveCount(4);
  const letterOf = new Map<string, string>();
  for (const item of await items.all()) {
    letterOf.set(modelOf.get((await item.getAttribute("data-response-id"))!)!, (await item.getAttribute("data-response-label"))!.toLowerCase());
  }
  for (const [rank, model] of order.entries()) {
    await page.keyboard.press(letterOf.get(model)!);
    await page.keyboard.press(String(rank + 1));
  }
  for (const model of order.slice(1)) {
    await page.keyboard.press(letterOf.get(model)!);
    await page.keyboard.press("Shift+3");
  }
  await page.keyboard.press("Shift+P");
  await expect(page.getByText("Ready to submit.")).toBeVisible();
  const current = await page.getByTestId("task").getAttribute("data-assignment-id");
  await page.keyboard.press("Enter");
  await expect(page.locator(`[data-testid="task"][data-assignment-id="${current}"]`)).toHaveCount(0);
}

test("a reviewer corrects a ranking from the review queue; pairs, audit log and dashboard follow", async ({ page, browser, baseURL, db, makeUser }) => {
  test.setTimeout(120_000);

  // An admin creates the project and imports the demo file, all in the UI.
  const admin = await makeUser("admin");
  await signInThroughApi(page, baseURL!, admin.email, admin.password);
  const name = `E2E review ${randomUUID().slice(0, 8)}`;
  await page.goto("/admin/projects");
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Overlap (annotators per task)").fill("0");
  await page.getByRole("button", { name: "Create project" }).click();
  // A simple rule is checked in the browser, and the message stands beside its field.
  await expect(page.getByTestId("new-project-overlap-error")).toHaveText("The overlap must be a whole number between 1 and 50.");
  await expect(page.getByRole("alert").filter({ hasText: "Some fields need attention" })).toBeVisible();
  await expect(page.getByText("Invalid input")).toHaveCount(0);
  await page.getByLabel("Overlap (annotators per task)").fill("2");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/admin\/projects\/[0-9a-f-]{36}$/);
  const projectId = page.url().split("/").pop()!;
  await expect(page.getByRole("heading", { name })).toBeVisible();

  await page.getByLabel("JSONL file").setInputFiles("prisma/demo/preferences-demo.jsonl");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByTestId("import-summary")).toContainText("Imported 44 of 44 rows");
  await expect(page.getByTestId("tasks-remaining")).toHaveText("44");

  const responses = await db.response.findMany({ where: { task: { projectId } }, select: { id: true, model: true } });
  const modelOf = new Map(responses.map((r) => [r.id, r.model!]));

  // Annotator one: one task in the labelling UI, two more through the API.
  const one = await makeUser("annotator", [projectId]);
  const onePage = await signedInPage(browser, baseURL!, one);
  await onePage.goto(`/label/${projectId}`);
  await labelThroughUi(onePage, firstOrder, modelOf);
  await labelThroughApi(onePage.request, projectId, firstOrder, modelOf);
  await labelThroughApi(onePage.request, projectId, firstOrder, modelOf);

  // Annotator two is handed the tasks closest to completion first: two of annotator one's.
  const two = await makeUser("annotator", [projectId]);
  const twoPage = await signedInPage(browser, baseURL!, two);
  await labelThroughApi(twoPage.request, projectId, secondOrder, modelOf);
  await labelThroughApi(twoPage.request, projectId, secondOrder, modelOf);

  // The reviewer sees the disagreement on the dashboard and follows it to the review queue.
  const reviewer = await makeUser("reviewer", [projectId]);
  const reviewerPage = await signedInPage(browser, baseURL!, reviewer);
  const r = reviewerPage;
  await r.goto(`/admin/projects/${projectId}`);
  await expect(r.getByTestId("review-state-corrected")).toHaveText("0");
  await expect(r.getByTestId("review-state-pending")).toHaveText("5");
  const agreement = r.getByTestId("pairwise-agreement");
  await expect(agreement.getByTestId("pairwise-agreement-value")).toHaveText("83.3%");
  await expect(agreement).toContainText("10 of 12 comparisons");
  await expect(r.getByTestId("annotator-row")).toHaveCount(2);
  // Reviewers read the dashboard but get no admin controls.
  await expect(r.getByRole("button", { name: "Save settings" })).toHaveCount(0);

  await expect(r.getByTestId("disagreement")).toHaveCount(2);
  await r.getByTestId("disagreement").first().getByRole("link").click();
  await expect(r).toHaveURL(/\/review\?taskId=/);
  const taskId = new URL(r.url()).searchParams.get("taskId")!;
  await expect(r.getByTestId("review-row")).toHaveCount(2);
  await r.getByLabel("Annotator", { exact: true }).selectOption(two.id);
  await expect(r).toHaveURL(new RegExp(`annotatorId=${two.id}`));
  await expect(r.getByTestId("review-row")).toHaveCount(1);
  await r.getByTestId("review-row").getByRole("link", { name: /Open the annotation/ }).click();

  const target = await db.annotation.findFirstOrThrow({ where: { taskId, annotatorId: two.id }, select: { id: true, ranking: true } });
  await expect(r).toHaveURL(new RegExp(`/review/${target.id}$`));
  await expect(r.getByTestId("review-response")).toHaveCount(4);
  await expect(r.getByTestId("other-annotations")).toContainText("E2E annotator");

  // Correct: move demo-policy-v1 above reference-writer with the keyboard, then name the new steps' strengths.
  await r.getByRole("button", { name: "Correct…" }).click();
  const idOf = (model: string) => responses.find((x) => x.model === model && (target.ranking as string[][]).flat().includes(x.id))!.id;
  const v1 = r.locator(`[data-testid="rank-item"][data-response-id="${idOf("demo-policy-v1")}"]`);
  await expect(v1).toHaveAttribute("data-rank", "2");
  // A click on the card makes it the one the arrow keys move.
  await v1.click();
  await r.keyboard.press("ArrowUp");
  await expect(v1).toHaveAttribute("data-rank", "1");
  await r.getByRole("button", { name: "Save correction" }).click();
  await expect(r.getByRole("alert").filter({ hasText: "Choose how strongly rank 1 beats rank 2" })).toBeVisible();
  await r.getByRole("radiogroup", { name: "Preference strength between rank 1 and rank 2" }).getByRole("radio", { name: "clear" }).check();
  await r.getByRole("radiogroup", { name: "Preference strength between rank 2 and rank 3" }).getByRole("radio", { name: "clear" }).check();
  await r.getByRole("button", { name: "Save correction" }).click();
  await expect(r.getByTestId("review-done")).toContainText("Corrected: 6 preference pairs derived again.");
  await expect(r.getByTestId("review-done").getByTestId("review-state")).toHaveText("corrected");

  // (a) The database holds the re-derived pairs and the audit row with both versions.
  const corrected = firstOrder.map((m) => [idOf(m)]);
  const want = derivePairs({ groups: corrected, strengths: ["clear", "clear", "clear"] });
  const stored = await db.preferencePair.findMany({ where: { annotationId: target.id }, select: { chosenResponseId: true, rejectedResponseId: true, margin: true } });
  const key = (p: { chosen: string; rejected: string; margin: number }) => `${p.chosen}>${p.rejected}@${p.margin.toFixed(3)}`;
  expect(stored.map((p) => key({ chosen: p.chosenResponseId, rejected: p.rejectedResponseId, margin: p.margin })).sort()).toEqual(
    want.map((p) => key({ chosen: p.chosenId, rejected: p.rejectedId, margin: p.margin })).sort(),
  );
  const annotation = await db.annotation.findUniqueOrThrow({ where: { id: target.id }, select: { reviewState: true, reviewedById: true, ranking: true } });
  expect(annotation).toEqual({ reviewState: "corrected", reviewedById: reviewer.id, ranking: corrected });
  const audit = await db.auditLog.findFirstOrThrow({ where: { action: "annotation.correct", target: `annotation:${target.id}` }, select: { actorId: true, before: true, after: true } });
  expect(audit.actorId).toBe(reviewer.id);
  expect(audit.before).toMatchObject({ ranking: target.ranking, reviewState: "pending" });
  expect(audit.after).toMatchObject({ ranking: corrected, reviewState: "corrected" });

  // (b) The dashboard moves with it.
  await r.goto(`/admin/projects/${projectId}`);
  await expect(r.getByTestId("review-state-corrected")).toHaveText("1");
  await expect(r.getByTestId("review-state-pending")).toHaveText("4");
  await expect(agreement.getByTestId("pairwise-agreement-value")).toHaveText("91.7%");
  await expect(agreement).toContainText("11 of 12 comparisons");
  await expect(r.getByTestId("disagreement")).toHaveCount(1);

  // Reviewers may label too, but never review their own work: the page says so and the server refuses.
  await labelThroughApi(r.request, projectId, firstOrder, modelOf);
  const own = await db.annotation.findFirstOrThrow({ where: { annotatorId: reviewer.id }, select: { id: true } });
  await r.goto(`/review/${own.id}`);
  await expect(r.getByTestId("own-work")).toContainText("You cannot review your own work");
  await expect(r.getByRole("button", { name: "Accept" })).toBeDisabled();
  await expect(callTrpc(r.request, "review.accept", { annotationId: own.id })).rejects.toThrow("You cannot review your own work");
});

test("an annotator cannot open the review console; a reviewer cannot open the admin console", async ({ page, baseURL, makeUser }) => {
  const annotator = await makeUser("annotator");
  await signInThroughApi(page, baseURL!, annotator.email, annotator.password);
  for (const path of ["/review", "/admin/projects"]) {
    const res = await page.goto(path);
    expect(res?.status()).toBe(403);
  }
  await expect(page.getByRole("link", { name: "Review", exact: true })).toHaveCount(0);

  const reviewer = await makeUser("reviewer");
  await page.context().clearCookies();
  await signInThroughApi(page, baseURL!, reviewer.email, reviewer.password);
  expect((await page.goto("/admin"))?.status()).toBe(403);
  await page.goto("/queue");
  await page.getByRole("link", { name: "Projects" }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "New project" })).toHaveCount(0);
});
