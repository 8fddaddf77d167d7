// Review feedback reaches the annotator: a badge in the header, the reviews with the reason, the note
// and what a correction changed, and the badge gone once they have been seen.
import { callTrpc, expect, joinProject, rankAll, seedProject, signInThroughApi, test } from "./fixtures";

test("an annotator reads the reviews of their work: rejected with the reason, corrected with what changed", async ({ page, browser, baseURL, db, makeUser }) => {
  const rows = [0, 1].map((i) => ({ prompt: `question ${i}`, responses: [`good answer ${i}`, `bad answer ${i}`] }));
  const [project, annotator, reviewer] = await Promise.all([seedProject(db, { k: 2, rows }), makeUser("annotator"), makeUser("reviewer")]);
  await joinProject(db, project.projectId, annotator, reviewer);
  await rankAll(db, project.projectId, annotator.id);
  const [first, second] = await db.annotation.findMany({ where: { annotatorId: annotator.id }, orderBy: { createdAt: "asc" }, select: { id: true, shownOrder: true } });

  const reviewerPage = await (await browser.newContext({ baseURL })).newPage();
  await signInThroughApi(reviewerPage, baseURL!, reviewer.email, reviewer.password);
  await callTrpc(reviewerPage.request, "review.reject", { annotationId: first!.id, reason: "The good answer is the first one." });
  const [a, b] = second!.shownOrder as [string, string];
  await callTrpc(reviewerPage.request, "review.correct", {
    annotationId: second!.id,
    labels: { ranking: { groups: [[b], [a]], strengths: ["slight"] }, promptPolicy: "allowed", harmCategory: null, rubric: {}, flags: {}, rationale: null },
    note: "B answers; A does not.",
  });

  await signInThroughApi(page, baseURL!, annotator.email, annotator.password);
  await page.goto("/queue");
  await expect(page.getByTestId("inbox-unread")).toHaveText("2");
  await page.getByRole("link", { name: /Reviews/ }).click();
  await expect(page.getByRole("heading", { name: "Reviews of your work" })).toBeVisible();
  const items = page.getByTestId("inbox-item");
  await expect(items).toHaveCount(2);
  const corrected = items.filter({ hasText: "corrected" });
  await expect(corrected).toContainText("Reviewer's note: B answers; A does not.");
  await expect(corrected.getByTestId("inbox-change")).toHaveText([/ranking\s*A > B\s*B > A/]);
  await expect(items.filter({ hasText: "rejected" })).toContainText("Why it was rejected: The good answer is the first one.");
  // Seen: the badge is gone, here and on the next page.
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);
  await page.goto("/queue");
  await expect(page.getByRole("link", { name: /Reviews/ })).toBeVisible();
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);
  await expect(page.getByTestId("inbox-item")).toHaveCount(0);
});
