// What stands between an annotator and Submit is listed before the click; a project that does not
// collect preference strengths gives every boundary its default instead of asking for one.
import { expect, seedProject, signInNewAnnotator, test } from "./fixtures";

test("missing strengths are listed before the click, and a project's default strength makes them optional", async ({ page, baseURL, db, makeUser }) => {
  const rows = [0, 1].map((i) => ({ prompt: `question ${i}`, responses: [`first ${i}`, `second ${i}`, `third ${i}`] }));
  const { projectId } = await seedProject(db, { k: 3, rows });
  const annotator = await signInNewAnnotator(page, baseURL!, makeUser, projectId);
  await page.goto(`/label/${projectId}`);
  const keys = page.keyboard;
  const rankAll = async () => {
    await expect(page.getByTestId("judged-turn")).toBeVisible();
    for (const [letter, rank] of [["a", "1"], ["b", "2"], ["c", "3"]]) {
      await keys.press(letter!);
      await keys.press(rank!);
    }
    await keys.press("Shift+P");
  };
  await rankAll();
  // Nothing clicked yet: what is missing is already on screen.
  await expect(page.getByText("Before you can submit:")).toBeVisible();
  await expect(page.getByTestId("submit-problems")).toHaveText(["Choose how strongly rank 1 beats rank 2", "Choose how strongly rank 2 beats rank 3"].join(""));
  await expect(page.getByTestId("submit-annotation")).toHaveAttribute("aria-disabled", "true");

  // The team stops collecting strengths: "clear" unless the annotator chooses.
  await db.project.update({ where: { id: projectId }, data: { defaultStrength: "clear" } });
  await page.reload();
  await expect(page.getByTestId("judged-turn")).toBeVisible();
  await expect(page.getByText("Ready to submit.")).toBeVisible();
  await page.getByTestId("submit-annotation").click();
  await expect(page.getByTestId("judged-turn")).toBeVisible();
  await expect.poll(() => db.annotation.count({ where: { annotatorId: annotator.id } })).toBe(1);
  const stored = await db.annotation.findFirstOrThrow({ where: { annotatorId: annotator.id }, select: { strengths: true } });
  expect(stored.strengths).toEqual(["clear", "clear"]);
});
