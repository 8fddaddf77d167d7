// The release gate on Promote: a policy that regresses on the red-team set is refused, and an admin
// promotes it anyway with a written reason that the model's page keeps.
import { randomUUID } from "node:crypto";
import { createEvaluationSet } from "../server/evaluation/sets";
import { recordEvaluation } from "../server/evaluation/service";
import { resultsOf, wilson, type Estimate } from "../server/evaluation/results";
import type { Db } from "../server/db";
import { callTrpc, expect, seedProject, signInThroughApi, test } from "./fixtures";

function rate(k: number, n: number): Estimate {
  const [lo, hi] = wilson(k, n);
  return { value: k / n, lo, hi, n, units: n };
}
const steady = { unsafe_on_disallowed: rate(2, 40), over_refusal_on_allowed: rate(3, 40), compliant_on_sensitive: rate(30, 40), reward: { value: 0.5, lo: 0.4, hi: 0.6, n: 120, units: 40 } };

/** As the evaluate job stores a policy's report on a set. */
async function evaluate(db: Db, modelVersionId: string, set: { id: string; version: number }, metrics: Record<string, Estimate>) {
  const job = await db.job.create({ data: { kind: "evaluate", payload: { policyModelId: modelVersionId, evaluationSetId: set.id }, state: "succeeded" }, select: { id: true } });
  await recordEvaluation(db, { modelVersionId, jobId: job.id, kind: "policy", results: resultsOf({ policy: { metrics, verdict: [] } }, "policy")!, output: "eval.json", evaluationSetId: set.id, setVersion: set.version });
}

const prompt = (content: string, policy: "allowed" | "sensitive" | "disallowed") => ({ messages: [{ role: "user" as const, content }], policy });

/** The project's current policy and a candidate trained from it. */
async function twoPolicies(db: Db, projectId: string, prefix: string) {
  const suffix = randomUUID().slice(0, 8);
  const current = await db.modelVersion.create({ data: { kind: "policy", name: `${prefix}-current-${suffix}`, path: "/nowhere", projectId }, select: { id: true, name: true } });
  await db.project.update({ where: { id: projectId }, data: { currentPolicyId: current.id } });
  const candidate = await db.modelVersion.create({ data: { kind: "policy", name: `${prefix}-candidate-${suffix}`, path: "/nowhere", parentId: current.id, projectId }, select: { id: true, name: true } });
  return { current, candidate };
}

test("a policy that regresses on the red-team set is refused, and promoted with an override whose reason the model's page shows", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  const { current, candidate } = await twoPolicies(db, project.projectId, "gate");
  const general = await createEvaluationSet(db, { projectId: project.projectId, name: "held-out", description: "", prompts: [prompt("hello", "allowed"), prompt("dosage", "sensitive"), prompt("harm", "disallowed")] }, admin.id);
  const attacks = await createEvaluationSet(db, { projectId: project.projectId, name: "attacks", description: "", prompts: [prompt("jailbreak one", "disallowed"), prompt("jailbreak two", "disallowed")] }, admin.id);
  await db.evaluationSet.update({ where: { id: attacks.id }, data: { kind: "red_team" } });
  await evaluate(db, current.id, general, steady);
  await evaluate(db, candidate.id, general, steady);
  await evaluate(db, current.id, attacks, { unsafe_on_disallowed: rate(4, 60) });
  await evaluate(db, candidate.id, attacks, { unsafe_on_disallowed: rate(30, 60) });
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/models");
  await page.getByRole("button", { name: candidate.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await expect(detail.getByTestId("model-cost")).toContainText("Labels: 0 annotations");
  await detail.getByLabel("Project to promote for").selectOption({ label: project.name });
  await detail.getByRole("button", { name: "Promote to current policy" }).click();

  const gates = detail.getByTestId("release-gates");
  await expect(gates).toContainText(`against the current policy ${current.name}`);
  const gate = (name: string) => gates.locator(`[data-testid="release-gate"][data-gate="${name}"]`);
  await expect(gate("red_team_success")).toHaveAttribute("data-verdict", "fail");
  await expect(gate("red_team_success")).toContainText("Red-team success rate");
  await expect(gate("red_team_success")).toContainText("50.0 %");
  await expect(gate("red_team_success")).toContainText("6.7 %");
  for (const name of ["unsafe_on_disallowed", "over_refusal_on_allowed", "compliant_on_sensitive", "reward"]) await expect(gate(name)).toHaveAttribute("data-verdict", "pass");
  // No plain Promote while a gate fails; the override needs a reason of some length.
  await expect(gates.getByRole("button", { name: "Promote", exact: true })).toHaveCount(0);
  const override = gates.getByRole("button", { name: "Override and promote" });
  await expect(override).toBeDisabled();
  await gates.getByLabel("Override reason").fill("too short");
  await expect(override).toBeDisabled();
  // The server refuses a promotion sent without one.
  await expect(callTrpc(page.request, "models.promote", { modelVersionId: candidate.id, projectId: project.projectId })).rejects.toThrow(/did not pass the release gates.*Red-team success rate on attacks: failed/);
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { currentPolicyId: true } })).currentPolicyId).toBe(current.id);

  const reason = "Known attacks are blocked by the new input filter <b>shipped</b> with it";
  await gates.getByLabel("Override reason").fill(reason);
  await override.click();
  await expect(detail.getByTestId("current-policy-badge")).toHaveText(`current policy · ${project.name}`);
  const promotion = detail.getByTestId("promotion");
  await expect(promotion).toContainText("release gates overridden");
  // Shown as text, markup and all.
  await expect(promotion.getByTestId("override-reason")).toHaveText(reason);
  await expect(promotion).toContainText("Red-team success rate on attacks: fail");
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { currentPolicyId: true } })).currentPolicyId).toBe(candidate.id);
  const audit = await db.auditLog.findFirstOrThrow({ where: { projectId: project.projectId, action: "model.promote" }, select: { actorId: true, after: true } });
  expect(audit).toMatchObject({ actorId: admin.id, after: { currentPolicyId: candidate.id, overrideReason: reason } });
});

test("a policy that passes every gate is promoted with the plain button", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  const { current, candidate } = await twoPolicies(db, project.projectId, "pass");
  const general = await createEvaluationSet(db, { projectId: project.projectId, name: "held-out", description: "", prompts: [prompt("hello", "allowed"), prompt("harm", "disallowed")] }, admin.id);
  await evaluate(db, current.id, general, steady);
  await evaluate(db, candidate.id, general, { ...steady, unsafe_on_disallowed: rate(0, 40) });
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto("/admin/models");
  await page.getByRole("button", { name: candidate.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await detail.getByLabel("Project to promote for").selectOption({ label: project.name });
  await detail.getByRole("button", { name: "Promote to current policy" }).click();
  const gates = detail.getByTestId("release-gates");
  await expect(gates.locator('[data-gate="compliant_on_sensitive"]')).toHaveAttribute("data-verdict", "not_applicable");
  await expect(gates.locator('[data-gate="red_team_success"]')).toContainText("no red-team set");
  await expect(gates.getByRole("button", { name: "Override and promote" })).toHaveCount(0);
  await gates.getByRole("button", { name: "Promote", exact: true }).click();
  await expect(detail.getByTestId("promotion")).toContainText("every release gate passed");
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { currentPolicyId: true } })).currentPolicyId).toBe(candidate.id);
});

test("an admin loosens the red-team gate on the project's page and the failed gate passes", async ({ page, baseURL, db, makeUser }) => {
  const [project, admin] = await Promise.all([seedProject(db, { k: 2, rows: [{ prompt: "question", responses: ["a", "b"] }] }), makeUser("admin")]);
  const { current, candidate } = await twoPolicies(db, project.projectId, "loose");
  const general = await createEvaluationSet(db, { projectId: project.projectId, name: "held-out", description: "", prompts: [prompt("hello", "allowed"), prompt("harm", "disallowed")] }, admin.id);
  const attacks = await createEvaluationSet(db, { projectId: project.projectId, name: "attacks", description: "", prompts: [prompt("jailbreak", "disallowed")] }, admin.id);
  await db.evaluationSet.update({ where: { id: attacks.id }, data: { kind: "red_team" } });
  for (const id of [current.id, candidate.id]) await evaluate(db, id, general, steady);
  await evaluate(db, current.id, attacks, { unsafe_on_disallowed: rate(4, 60) });
  await evaluate(db, candidate.id, attacks, { unsafe_on_disallowed: rate(30, 60) });
  await signInThroughApi(page, baseURL!, admin.email, admin.password);

  await page.goto(`/admin/projects/${project.projectId}`);
  const panel = page.locator("section", { has: page.getByRole("heading", { name: "Release gates" }) });
  const threshold = panel.getByLabel("Threshold for Red-team success rate");
  await expect(threshold).toHaveValue("0");
  await threshold.fill("150");
  await expect(panel.getByRole("alert")).toContainText("Red-team success rate: a number from 0 to 100");
  await expect(panel.getByRole("button", { name: "Save release gates" })).toBeDisabled();
  // The rise is 43 points with an interval from about 29: a 30-point allowance lets it through.
  await threshold.fill("30");
  await panel.getByRole("button", { name: "Save release gates" }).click();
  await expect(panel.getByRole("status")).toHaveText("Saved.");
  expect((await db.project.findUniqueOrThrow({ where: { id: project.projectId }, select: { releaseGates: true } })).releaseGates).toMatchObject({ red_team_success: 0.3, reward: 0 });

  await page.goto("/admin/models");
  await page.getByRole("button", { name: candidate.name, exact: true }).click();
  const detail = page.getByTestId("model-detail");
  await detail.getByLabel("Project to promote for").selectOption({ label: project.name });
  await detail.getByRole("button", { name: "Promote to current policy" }).click();
  await expect(detail.locator('[data-testid="release-gate"][data-gate="red_team_success"]')).toHaveAttribute("data-verdict", "pass");
  await expect(detail.getByTestId("release-gates").getByRole("button", { name: "Promote", exact: true })).toBeEnabled();
});
