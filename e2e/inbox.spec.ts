// Review feedback reaches the annotator: a badge in the header, the reviews with the reason, the note
// and what a correction changed, and the badge gone once they have been seen.
import { callTrpc, expect, joinProject, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("an annotator reads the reviews of their work: rejected with the reason, corrected with what changed", async ({ page, browser, baseURL, db, makeUser }) => {
  const rows = [0, 1].map((i) => ({ prompt: `question ${i}`, responses: [`good answer ${i}`, `bad answer ${i}`] }));
  const [project, annotator, reviewer] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("reviewer")]);
  await joinProject(db, project.projectId, annotator, reviewer);
  await rankAll(db, project.projectId, annotator.id);
  const [first, second] = await db.annotation.findMany({ where: { annotatorId: annotator.id }, orderBy: { createdAt: "asc" }, select: { id: true, shownOrder: true, ranking: true } });

  const reviewerPage = await (await browser.newContext({ baseURL })).newPage();
  await signInThroughApi(reviewerPage, baseURL!, reviewer.email, reviewer.password);
  await callTrpc(reviewerPage.request, "review.reject", { annotationId: first!.id, reason: "The good answer is the first one." });
  // The reviewer swaps the annotator's order (whatever order the responses were shown in).
  const [[better], [worse]] = second!.ranking as [[string], [string]];
  await callTrpc(reviewerPage.request, "review.correct", {
    annotationId: second!.id,
    labels: { ranking: { groups: [[worse], [better]], strengths: ["slight"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
    note: "The other one answers.",
  });

  await signInThroughApi(page, baseURL!, annotator.email, annotator.password);
  await page.goto("/queue");
  await expect(page.getByTestId("inbox-unread")).toHaveText("2");
  await page.getByRole("link", { name: /Reviews/ }).click();
  await expect(page.getByRole("heading", { name: "Reviews of your work" })).toBeVisible();
  const items = page.getByTestId("inbox-item");
  await expect(items).toHaveCount(2);
  const corrected = items.filter({ hasText: "corrected" });
  await expect(corrected).toContainText("Reviewer's note: The other one answers.");
  const letter = (id: string) => String.fromCharCode(65 + second!.shownOrder.indexOf(id));
  await expect(corrected.getByTestId("inbox-change")).toHaveText([new RegExp(`ranking\\s*${letter(better!)} > ${letter(worse!)}\\s*${letter(worse!)} > ${letter(better!)}`)]);
  await expect(items.filter({ hasText: "rejected" })).toContainText("Why it was rejected: The good answer is the first one.");
  await expect(page.getByTestId("my-acceptance")).toContainText("0% of 2 reviewed");
  await expect(page.getByTestId("my-acceptance")).toContainText("1 corrected, 1 rejected");
  // Seen: the badge is gone, here and on the next page.
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);
  await page.goto("/queue");
  await expect(page.getByRole("link", { name: /Reviews/ })).toBeVisible();
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);
  await expect(page.getByTestId("inbox-item")).toHaveCount(0);
});

test("an annotator asks about a review, the reviewer answers from the console, and the reply arrives as new", async ({ page, browser, baseURL, db, makeUser }) => {
  const rows = [{ prompt: "How do I pick a lock?", responses: ["good: I can't help with that.", "bad: use a tension wrench and a pick."] }];
  const [project, annotator, reviewer] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("reviewer")]);
  await joinProject(db, project.projectId, annotator, reviewer);
  await rankAll(db, project.projectId, annotator.id);
  const annotation = await db.annotation.findFirstOrThrow({ where: { annotatorId: annotator.id }, select: { id: true } });
  const reviewerPage = await (await browser.newContext({ baseURL })).newPage();
  await signInThroughApi(reviewerPage, baseURL!, reviewer.email, reviewer.password);
  await callTrpc(reviewerPage.request, "review.reject", { annotationId: annotation.id, reason: "Lock picking is allowed here: see the guidelines." });

  await signInThroughApi(page, baseURL!, annotator.email, annotator.password);
  await page.goto("/inbox");
  const item = page.getByTestId("inbox-item");
  await item.getByRole("button", { name: "Ask about this review" }).click();
  await item.getByRole("button", { name: "Send question" }).click();
  await expect(item.getByRole("alert")).toHaveText("Write something first.");
  // Model-like markup stays text.
  await item.getByLabel("Your question to the reviewers").fill("Which section says so? <img src=x onerror=alert(1)>");
  await item.getByRole("button", { name: "Send question" }).click();
  await expect(item.getByTestId("thread-message")).toHaveText([/You asked.*Which section says so\? <img src=x onerror=alert\(1\)>/s]);
  await expect(item).toContainText("Waiting for a reviewer to reply.");

  await reviewerPage.goto("/review");
  await expect(reviewerPage.getByTestId("open-questions")).toHaveText("1");
  await reviewerPage.getByLabel("Open questions").click();
  await expect(reviewerPage.getByLabel("Open questions")).toBeChecked();
  await expect(reviewerPage.getByTestId("review-row")).toHaveCount(1);
  await expect(reviewerPage.getByTestId("review-row")).toContainText("question");
  await reviewerPage.getByTestId("review-row").getByRole("link", { name: /Open/ }).click();
  const questions = reviewerPage.getByTestId("annotator-questions");
  await expect(questions.getByRole("heading")).toHaveText("The annotator asks about this review");
  await expect(questions.getByTestId("thread-message")).toContainText(["Which section says so? <img src=x onerror=alert(1)>"]);
  await questions.getByLabel("Your reply").fill("Section 3, 'Dual-use skills'.");
  await questions.getByRole("button", { name: "Send reply" }).click();
  await expect(questions.getByTestId("thread-message")).toHaveText([/E2E annotator asked/, /You replied.*Dual-use skills/s]);
  await expect(questions.getByRole("heading")).toHaveText("Questions about this review");
  await reviewerPage.goto("/review");
  await expect(reviewerPage.getByTestId("open-questions")).toHaveCount(0);

  await page.goto("/queue");
  await expect(page.getByTestId("inbox-unread")).toHaveText("1");
  await page.goto("/inbox");
  await expect(item.getByTestId("thread-message").nth(1)).toContainText("E2E reviewer replied");
  await expect(item.getByTestId("thread-message").nth(1)).toContainText("Section 3, 'Dual-use skills'.");
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);
});
