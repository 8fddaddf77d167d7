import { randomUUID } from "node:crypto";
import { callTrpc, expect, seedProject, signInThroughApi, test } from "./fixtures";

test("an admin promotes a policy to a project's current policy; a reward model cannot be promoted", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  const suffix = randomUUID().slice(0, 8);
  const model = (kind: "policy" | "reward", name: string) => db.modelVersion.create({ data: { kind, name: `${name}-${suffix}`, path: "/nowhere", projectId: project.projectId }, select: { id: true, name: true } });
  const [previous, policy, reward] = [await model("policy", "policy-old"), await model("policy", "policy-new"), await model("reward", "reward")];
  await db.project.update({ where: { id: project.projectId }, data: { currentPolicyId: previous.id } });
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/models");
  const row = (name: string) => page.getByTestId("model-row").filter({ has: page.getByRole("button", { name, exact: true }) });
  const badge = `current policy · ${project.name}`;
  await expect(row(previous.name).getByTestId("current-policy-badge")).toHaveText(badge);
  await expect(row(policy.name).getByTestId("current-policy-badge")).toHaveCount(0);

  await page.getByRole("button", { name: policy.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await detail.getByLabel("Project to promote for").selectOption({ label: project.name });
  await detail.getByRole("button", { name: "Promote to current policy" }).click();
  // The project has no evaluation set, so the release gates are not measured: an override it is.
  const gates = detail.getByTestId("release-gates");
  await expect(gates.locator('[data-gate="reward"]')).toHaveAttribute("data-verdict", "not_measured");
  await gates.getByLabel("Override reason").fill("No evaluation set in this project yet");
  await gates.getByRole("button", { name: "Override and promote" }).click();
  // The badge moves from the previous policy to this one, in the table and in the open detail.
  await expect(detail.getByTestId("current-policy-badge")).toHaveText(badge);
  await expect(row(policy.name).getByTestId("current-policy-badge")).toHaveText(badge);
  await expect(row(previous.name).getByTestId("current-policy-badge")).toHaveCount(0);
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { currentPolicyId: true } })).currentPolicyId).toBe(policy.id);

  // A reward model's detail offers no promotion, and the server refuses one sent anyway.
  await page.getByRole("button", { name: reward.name, exact: true }).click();
  await expect(detail.getByRole("heading", { name: "Lineage" })).toBeVisible();
  await expect(detail.getByRole("button", { name: "Promote to current policy" })).toHaveCount(0);
  await expect(callTrpc(page.request, "models.promote", { modelVersionId: reward.id, projectId: project.projectId })).rejects.toThrow(/is a reward model; only a policy or SFT model/);
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { currentPolicyId: true } })).currentPolicyId).toBe(policy.id);
});

test("a run's checkpoints are listed as versions; a pruned one is hidden until asked for and cannot be promoted", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  const job = await db.job.create({ data: { kind: "ppo", payload: {}, state: "succeeded" }, select: { id: true } });
  const name = `ppo-${randomUUID().slice(0, 8)}`;
  const version = (step: number, prunedAt: Date | null) =>
    db.modelVersion.create({
      data: { kind: "policy", name: `${name}@step-${step}`, path: `runs/${job.id}/checkpoints/step-${step}/model`, checkpointStep: step, prunedAt, jobId: job.id, projectId: project.projectId },
      select: { id: true, name: true },
    });
  const [pruned, kept] = [await version(4, new Date()), await version(8, null)];
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/models");
  const row = (n: string) => page.getByTestId("model-row").filter({ has: page.getByRole("button", { name: n, exact: true }) });
  await expect(row(kept.name).getByTestId("checkpoint-badge")).toHaveText("checkpoint · step 8");
  await expect(row(pruned.name)).toHaveCount(0);
  await page.getByLabel("Pruned checkpoints").check();
  await expect(row(pruned.name).getByTestId("checkpoint-badge")).toHaveText("checkpoint · step 4 · pruned");

  await page.getByRole("button", { name: pruned.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await expect(detail).toContainText("The checkpoint at step 4 of ppo run");
  await expect(detail.getByTestId("pruned-note")).toContainText("no run can use it");
  await expect(detail.getByRole("button", { name: "Promote to current policy" })).toHaveCount(0);

  // Only the models runs end with, when checkpoints are unticked.
  await page.getByLabel("Checkpoints of runs").uncheck();
  await expect(row(kept.name)).toHaveCount(0);
});
