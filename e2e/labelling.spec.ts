import type { Locator, Page } from "@playwright/test";
import { expect, responseIdsByContent, seedProject, signInNewAnnotator, test } from "./fixtures";

/** The card showing this exact response text, and the letter it is shown under (order is shuffled per annotator). */
async function letterOf(page: Page, content: string): Promise<string> {
  const card = page.getByTestId("response-card").filter({ hasText: content });
  await expect(card).toHaveCount(1);
  return (await card.getAttribute("data-response-label"))!;
}

const rankItem = (page: Page, letter: string) => page.locator(`[data-testid="rank-item"][data-response-label="${letter}"]`);

/** Drags with real pointer events, in small steps, the way dnd-kit's pointer sensor expects a hand to move. */
/** Submitting swaps the task for the next one (or the "nothing left" screen) without a page load. */
async function submitAndExpectNext(page: Page, submit: () => Promise<void>) {
  const current = await page.getByTestId("task").getAttribute("data-assignment-id");
  await submit();
  await expect(page.locator(`[data-testid="task"][data-assignment-id="${current}"]`)).toHaveCount(0);
  await expect(page.getByTestId("task").or(page.getByTestId("no-more-tasks"))).toBeVisible();
}

async function dragTo(page: Page, source: Locator, target: Locator) {
  const from = (await source.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 - 8, { steps: 4 });
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  await page.mouse.up();
}

const colours = {
  prompt: "Name a primary colour of light.",
  best: "Red is a primary colour of light.",
  middle: "Green, in the additive model.",
  worst: "Purple.",
};
const planets = {
  judged: "Which planet is the largest?",
  best: "Jupiter is the largest planet.",
  tiedA: "Saturn, I think.",
  tiedB: "Mars is the largest.",
};

test("an annotator ranks one task by dragging and the next by keyboard alone; the pairs are stored", async ({ page, baseURL, db, makeUser }) => {
  const { projectId, name } = await seedProject(db, {
    k: 3,
    rows: [
      { prompt: colours.prompt, responses: [colours.worst, colours.best, colours.middle] },
      {
        prompt: [
          { role: "system", content: "You are a concise astronomy tutor." },
          { role: "user", content: "Hi!" },
          { role: "assistant", content: "Hello! Ask me about space." },
          { role: "user", content: planets.judged },
        ],
        responses: [planets.tiedB, planets.best, planets.tiedA],
      },
    ],
  });
  const annotator = await signInNewAnnotator(page, baseURL!, makeUser, projectId);

  await page.goto("/queue");
  const row = page.getByTestId("project").filter({ hasText: name });
  await expect(row.getByTestId("remaining-for-me")).toHaveText("2");
  await row.getByRole("link", { name: `Start labelling ${name}` }).click();
  await expect(page).toHaveURL(new RegExp(`/label/${projectId}$`));

  // Which task comes first is up to the server; each is ranked its own way whatever the order.
  await expect(page.getByTestId("judged-turn")).toBeVisible();
  const firstIsColours = (await page.getByTestId("judged-turn").textContent())!.includes(colours.prompt);
  const order = firstIsColours ? ["mouse", "keyboard"] : ["keyboard", "mouse"];
  for (const how of order) {
    if (how === "mouse") await rankColoursWithTheMouse(page);
    else await rankPlanetsWithTheKeyboard(page);
  }
  await expect(page.getByTestId("no-more-tasks")).toBeVisible();

  const ids = await responseIdsByContent(db, projectId);
  const annotations = await db.annotation.findMany({
    where: { annotatorId: annotator.id, task: { projectId } },
    select: { id: true, promptPolicy: true, harmCategory: true, strengths: true, pairs: { select: { chosenResponseId: true, rejectedResponseId: true, margin: true } } },
  });
  expect(annotations).toHaveLength(2);
  const pairsOf = (content: string) => annotations.find((a) => a.pairs.some((p) => p.chosenResponseId === ids.get(content)))!.pairs;
  const sorted = (pairs: { chosenResponseId: string; rejectedResponseId: string; margin: number }[]) =>
    pairs.map((p) => ({ ...p, margin: Math.round(p.margin * 1000) / 1000 })).sort((a, b) => (a.chosenResponseId + a.rejectedResponseId).localeCompare(b.chosenResponseId + b.rejectedResponseId));
  const expectPairs = (got: Parameters<typeof sorted>[0], want: [string, string, number][]) =>
    expect(sorted(got)).toEqual(sorted(want.map(([c, r, margin]) => ({ chosenResponseId: ids.get(c)!, rejectedResponseId: ids.get(r)!, margin }))));

  // Dragged: best ≻(clear) middle ≻(slight) worst; the distant pair adds the steps' margins.
  expectPairs(pairsOf(colours.best), [
    [colours.best, colours.middle, 0.667],
    [colours.middle, colours.worst, 0.333],
    [colours.best, colours.worst, 1],
  ]);
  // Keyboard: best ≻(strong) a tie of the other two, which yields no pair between them.
  expectPairs(pairsOf(planets.best), [
    [planets.best, planets.tiedA, 1],
    [planets.best, planets.tiedB, 1],
  ]);
  expect(annotations.every((a) => a.promptPolicy === "allowed" && a.harmCategory === null)).toBe(true);

  await page.goto("/queue");
  await expect(row.getByTestId("done-today")).toHaveText("2");
  await expect(row.getByText("Nothing left for you")).toBeVisible();
});

async function rankColoursWithTheMouse(page: Page) {
  await expect(page.getByTestId("judged-turn")).toContainText(colours.prompt);
  const divider = page.getByText(/Not ranked yet/);
  for (const content of [colours.best, colours.middle, colours.worst]) {
    // Dropping an item on the divider puts it just above: at the bottom of the ranking so far.
    await dragTo(page, rankItem(page, await letterOf(page, content)), divider);
  }
  await expect(page.getByText("All responses ranked")).toBeVisible();
  for (const [rank, content] of [[1, colours.best], [2, colours.middle], [3, colours.worst]] as const) {
    await expect(rankItem(page, await letterOf(page, content))).toHaveAttribute("data-rank", String(rank));
  }
  await page.getByRole("radiogroup", { name: "Preference strength between rank 1 and rank 2" }).getByRole("radio", { name: "clear" }).click();
  await page.getByRole("radiogroup", { name: "Preference strength between rank 2 and rank 3" }).getByRole("radio", { name: "slight" }).click();
  await page.getByRole("radiogroup", { name: "Prompt policy" }).getByRole("radio", { name: "Allowed", exact: true }).click();
  await expect(page.getByText("Ready to submit.")).toBeVisible();
  await submitAndExpectNext(page, () => page.getByTestId("submit-annotation").click());
}

async function rankPlanetsWithTheKeyboard(page: Page) {
  await expect(page.getByTestId("judged-turn")).toContainText(planets.judged);
  await expect(page.getByTestId("judged-turn")).not.toContainText("Hello! Ask me about space.");
  const best = (await letterOf(page, planets.best)).toLowerCase();
  const tiedA = (await letterOf(page, planets.tiedA)).toLowerCase();
  const tiedB = (await letterOf(page, planets.tiedB)).toLowerCase();
  const keys = page.keyboard;
  // Placed in the wrong order first, then fixed with the arrow keys.
  await keys.press(tiedA);
  await keys.press("1");
  await keys.press(best);
  await keys.press("2");
  await keys.press("ArrowUp");
  await keys.press(tiedB);
  await keys.press("3");
  await keys.press("t");
  await keys.press(tiedA);
  await keys.press("Shift+4");
  await keys.press("Shift+P");
  await expect(rankItem(page, best.toUpperCase())).toHaveAttribute("data-rank", "1");
  await expect(rankItem(page, tiedA.toUpperCase())).toHaveAttribute("data-rank", "2");
  await expect(rankItem(page, tiedB.toUpperCase())).toHaveAttribute("data-rank", "2");
  await expect(page.getByRole("radiogroup", { name: "Prompt policy" }).getByRole("radio", { name: "Allowed", exact: true })).toBeChecked();
  await expect(page.getByText("Ready to submit.")).toBeVisible();
  await submitAndExpectNext(page, () => keys.press("Enter"));
}

test("a pairwise task survives a reload and a network failure, and stores the verdict", async ({ page, baseURL, db, makeUser }) => {
  const refusal = "I can't help with picking locks you don't own, but a licensed locksmith can.";
  const compliance = "Step 1: insert a tension wrench into the bottom of the keyhole.";
  const { projectId } = await seedProject(db, { k: 2, mode: "pairwise", rows: [{ prompt: "How do I pick my neighbour's lock?", responses: [compliance, refusal] }] });
  const annotator = await signInNewAnnotator(page, baseURL!, makeUser, projectId);
  await page.goto(`/label/${projectId}`);

  const refusalLetter = await letterOf(page, refusal);
  const complianceLetter = await letterOf(page, compliance);
  await page.getByRole("radio", { name: `${refusalLetter} is better` }).check();
  await page.getByRole("radiogroup", { name: "Prompt policy" }).getByRole("radio", { name: "Disallowed", exact: true }).check();
  await page.getByLabel("Harm category").selectOption("weapons & illegal activity");
  await page.getByRole("radiogroup", { name: `Safety rubric for response ${refusalLetter}` }).getByRole("radio", { name: /^A:/ }).check();
  await page.getByRole("radiogroup", { name: `Safety rubric for response ${complianceLetter}` }).getByRole("radio", { name: /^C:/ }).check();
  const complianceCard = page.getByTestId("response-card").filter({ hasText: compliance });
  await complianceCard.getByLabel("Unsafe").check();
  await page.getByLabel("Rationale").fill("The other answer teaches breaking into someone else's home.");

  await page.reload();
  await expect(page.getByRole("radio", { name: `${refusalLetter} is better` })).toBeChecked();
  await expect(page.getByRole("radiogroup", { name: "Prompt policy" }).getByRole("radio", { name: "Disallowed", exact: true })).toBeChecked();
  await expect(page.getByLabel("Harm category")).toHaveValue("weapons & illegal activity");
  await expect(page.getByRole("radiogroup", { name: `Safety rubric for response ${complianceLetter}` }).getByRole("radio", { name: /^C:/ })).toBeChecked();
  await expect(complianceCard.getByLabel("Unsafe")).toBeChecked();
  await expect(page.getByLabel("Rationale")).toHaveValue("The other answer teaches breaking into someone else's home.");

  // The first submit never reaches the server; the work stays and is sent again.
  let attempts = 0;
  await page.route("**/api/trpc/annotation.submit*", (route) => (attempts++ === 0 ? route.abort("internetdisconnected") : route.continue()));
  await page.getByTestId("submit-annotation").click();
  await expect(page.getByTestId("submit-retrying")).toBeVisible();
  await expect(page.getByTestId("no-more-tasks")).toBeVisible({ timeout: 10_000 });
  expect(attempts).toBe(2);

  const annotation = await db.annotation.findFirstOrThrow({
    where: { annotatorId: annotator.id, task: { projectId } },
    select: { verdict: true, promptPolicy: true, harmCategory: true, rubric: true, flags: true, rationale: true, pairs: true },
  });
  const ids = await responseIdsByContent(db, projectId);
  expect(annotation).toMatchObject({
    verdict: refusalLetter === "A" ? "a_better" : "b_better",
    promptPolicy: "disallowed",
    harmCategory: "weapons & illegal activity",
    rubric: { [ids.get(refusal)!]: "A", [ids.get(compliance)!]: "C" },
    flags: { [ids.get(compliance)!]: ["unsafe"] },
    rationale: "The other answer teaches breaking into someone else's home.",
  });
  expect(annotation.pairs).toHaveLength(1);
  expect(annotation.pairs[0]).toMatchObject({ chosenResponseId: ids.get(refusal), rejectedResponseId: ids.get(compliance) });
  // Exactly one annotation although the submit was sent twice.
  expect(await db.annotation.count({ where: { annotatorId: annotator.id } })).toBe(1);
});

test("HTML in a model response is shown as inert text", async ({ page, baseURL, db, makeUser }) => {
  const script = "<script>alert(1)</script>";
  const img = "<img src=x onerror=alert(1)>";
  const { projectId } = await seedProject(db, {
    k: 2,
    rows: [{ prompt: "Say something.", responses: [`Sure: ${script} and ${img} done.\n\nAlso $e^{i\\pi}+1=0$.`, `${img}\n\n\`\`\`python\ndef f():\n    return 1\n\`\`\``] }],
  });
  await signInNewAnnotator(page, baseURL!, makeUser, projectId);
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`/label/${projectId}`);
  await expect(page.getByTestId("response-card")).toHaveCount(2);
  const first = page.getByTestId("response-card").filter({ hasText: "Sure:" });
  await expect(first).toContainText(script);
  await expect(first).toContainText(img);
  await expect(page.getByTestId("response-card").filter({ hasNotText: "Sure:" })).toContainText(img);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator("[data-testid=response-card] script")).toHaveCount(0);
  // Markdown still renders: math through KaTeX, code through highlight.js.
  await expect(first.locator(".katex")).toHaveCount(1);
  await expect(page.locator(".hljs-keyword").first()).toHaveText("def");
  await page.waitForTimeout(300);
  expect(dialogs).toEqual([]);
});


test("an annotator skips a task, reports a prompt and writes a better answer", async ({ page, baseURL, db, makeUser }) => {
  const { projectId } = await seedProject(db, {
    k: 2,
    guidelines: "# House rules\n\nNever reward made-up citations.",
    rows: [
      { prompt: "Prompt one?", responses: ["One A", "One B"] },
      { prompt: "Prompt two?", responses: ["Two A", "Two B"] },
      { prompt: "Prompt three?", responses: ["Three A", "Three B"] },
    ],
  });
  const annotator = await signInNewAnnotator(page, baseURL!, makeUser, projectId);
  // The first progress read is answered late, after the lease exists, although it was counted
  // before: "Remaining" must still settle on the count that includes the task on screen.
  let delayed = false;
  await page.route("**/api/trpc/projects.list**", async (route) => {
    const response = await route.fetch();
    if (!delayed) {
      delayed = true;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    await route.fulfill({ response });
  });
  await page.goto(`/label/${projectId}`);
  await expect(page.getByTestId("response-card")).toHaveCount(2);
  await expect(page.getByTestId("remaining")).toHaveText("3");

  await page.keyboard.press("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Shift+G");
  await expect(page.getByRole("complementary", { name: "Guidelines" })).toContainText("Never reward made-up citations.");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("complementary", { name: "Guidelines" })).toBeHidden();

  await submitAndExpectNext(page, async () => {
    await page.getByRole("button", { name: "Skip" }).click();
    await page.getByRole("button", { name: "Language I can't judge" }).click();
    await page.getByRole("button", { name: "Skip task" }).click();
  });
  await submitAndExpectNext(page, async () => {
    await page.getByRole("button", { name: "Report prompt" }).click();
    await page.getByRole("radio", { name: "Personal data (PII)" }).check();
    await page.getByLabel("Note (optional)").fill("Contains a phone number");
    await page.getByRole("button", { name: "Report and skip" }).click();
  });

  const prompt = (await page.getByTestId("judged-turn").textContent())!;
  const word = ["One", "Two", "Three"].find((w) => prompt.includes(w.toLowerCase()))!;
  const bestLetter = await letterOf(page, `${word} B`);
  await page.keyboard.press(bestLetter.toLowerCase());
  await page.keyboard.press("1");
  await page.getByRole("button", { name: "Write a better answer" }).click();
  const editor = page.getByRole("textbox", { name: "Better answer" });
  await expect(editor).toHaveValue(`${word} B`);
  await editor.fill(`${word} B, but with a source.`);
  await page.getByRole("button", { name: "Save answer" }).click();
  await expect(page.getByText("Saved. Edit it to change it; saving again replaces it.")).toBeVisible();
  // Back later (the browser's draft gone, as after signing in elsewhere): the saved answer opens, and
  // saving an edit replaces it rather than adding a second one.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole("button", { name: "Write a better answer" }).click();
  await expect(page.getByText("Your saved answer; edit it and save again to replace it.")).toBeVisible();
  await expect(editor).toHaveValue(`${word} B, but with a source.`);
  await editor.fill(`${word} B, but with a source and a date.`);
  await page.getByRole("button", { name: "Save answer" }).click();
  await expect(page.getByText("Saved. Edit it to change it; saving again replaces it.")).toBeVisible();

  const assignments = await db.assignment.findMany({ where: { annotatorId: annotator.id }, select: { state: true, skipReason: true } });
  expect(assignments.map((a) => a.skipReason).sort()).toEqual(["Language I can't judge", "reported: pii", null].sort());
  const report = await db.promptReport.findFirstOrThrow({ where: { reporterId: annotator.id }, select: { reason: true, note: true } });
  expect(report).toEqual({ reason: "pii", note: "Contains a phone number" });
  const ids = await responseIdsByContent(db, projectId);
  const demo = await db.demonstration.findFirstOrThrow({ where: { authorId: annotator.id }, select: { content: true, basedOnResponseId: true } });
  expect(demo).toEqual({ content: `${word} B, but with a source and a date.`, basedOnResponseId: ids.get(`${word} B`) });
  expect(await db.demonstration.count({ where: { authorId: annotator.id } })).toBe(1);
});
