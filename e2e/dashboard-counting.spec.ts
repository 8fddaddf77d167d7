// A project whose figures have not been counted yet (after the upgrade that adds the tallies, or a
// large import of judgements): its page says how many tasks are left, keeps counting on its own,
// and shows the whole project's figures once the count ends.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { seedLabelledProject } from "../server/test/bulk-seed";
import { expect, signInThroughApi, test } from "./fixtures";

test("the project page counts a backlog of uncounted tasks by itself and then shows every annotation", async ({ page, baseURL, db, makeUser }) => {
  test.setTimeout(180_000);
  // Project pages take a UUID; the seed names its rows after it.
  const projectId = randomUUID();
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    // 30,000 tasks labelled twice, inserted in bulk: the triggers queue every task to be counted,
    // several seconds of work, more than one open of the page counts.
    await seedLabelledProject(client, { projectId, tasks: 30_000, overlap: 2, annotators: 12 });
    const admin = await makeUser("admin");
    await signInThroughApi(page, baseURL!, admin.email, admin.password);

    await page.goto(`/admin/projects/${projectId}`);
    const status = page.getByRole("status").filter({ hasText: "Counting the project's figures" });
    await expect(status).toBeVisible({ timeout: 30_000 });
    const left = Number((await status.textContent())!.match(/([\d,]+) tasks left/)![1]!.replaceAll(",", ""));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(30_000);
    await page.screenshot({ path: test.info().outputPath("dashboard-counting.png"), fullPage: true });

    // No reload: the page asks again while counting, and the banner goes when nothing is left.
    await expect(status).toBeHidden({ timeout: 120_000 });
    await expect(page.getByTestId("review-state-pending")).toHaveText("60000");
    await expect(page.getByTestId("review-states")).toContainText("60000 annotations in all");
    await expect(page.getByTestId("active-annotators")).toContainText("12 annotator(s) have labelled in this project");
    await expect(page.getByTestId("tasks-done")).toHaveText("30000");
  } finally {
    await client.query("DELETE FROM project WHERE id = $1", [projectId]);
    await client.query(`DELETE FROM "user" WHERE id LIKE $1`, [`${projectId}-u%`]);
    await client.end();
  }
  expect(await db.project.count({ where: { id: projectId } })).toBe(0);
});
