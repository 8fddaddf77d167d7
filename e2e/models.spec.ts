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
