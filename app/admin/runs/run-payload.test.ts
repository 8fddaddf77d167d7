import { describe, expect, it } from "vitest";
import { ZStartRunInput } from "../../../server/runs/run.schema";
import { buildRunInput, defaultFields, formKinds } from "./run-payload";

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const filled = { ...defaultFields, projectId: id(1), snapshotId: id(2), rewardModelId: id(3), policyModelId: id(4), targetProjectId: id(5), evaluationSetId: id(6), safetyModelId: id(7) };

describe("buildRunInput", () => {
  it("builds, from the defaults, a payload each kind's own schema accepts", () => {
    for (const { kind } of formKinds) {
      const built = buildRunInput(kind, filled);
      expect("input" in built && ZStartRunInput.safeParse(built.input).success, kind).toBe(true);
    }
  });

  it("names the fields a kind needs when they are missing", () => {
    expect(buildRunInput("ppo", defaultFields)).toEqual({ errors: { rewardModelId: "Choose a reward model", projectId: "Choose the prompts' project", snapshotId: "Choose a prompts snapshot" } });
    expect(buildRunInput("generate", { ...filled, targetProjectId: "", promptSource: "list", prompts: " \n " })).toMatchObject({
      errors: { targetProjectId: expect.any(String), prompts: "Write at least one prompt, one per line" },
    });
    expect(buildRunInput("train_reward", { ...filled, lr: "2" })).toEqual({ errors: { lr: "Learning rate must be a number in (0, 1]" } });
    expect(buildRunInput("train_safety", { ...filled, split: "../x" })).toEqual({ errors: { split: expect.stringMatching(/letters, digits/) } });
  });

  it("asks a forecast's questions only when given, the target as a percentage, and keeps something held out", () => {
    expect(buildRunInput("forecast", filled)).toEqual({
      input: { kind: "forecast", payload: { snapshotId: id(2), config: { epochs: 1, batch_size: 8, lr: 0.00001, margin: "none", resamples: 1000 } }, newSnapshot: undefined },
    });
    expect(buildRunInput("forecast", { ...filled, targetAccuracy: "90", morePairs: "5000", evalFraction: "0.25" })).toMatchObject({
      input: { payload: { config: { target_accuracy: 0.9, more_pairs: 5000, eval_fraction: 0.25 } } },
    });
    expect(buildRunInput("forecast", { ...filled, evalFraction: "0", targetAccuracy: "100", morePairs: "0" })).toEqual({
      errors: { evalFraction: expect.stringMatching(/held-out prompts/), targetAccuracy: expect.stringMatching(/percentage/), morePairs: expect.stringMatching(/whole number/) },
    });
  });

  it("names another held-out split only when one is given", () => {
    expect(buildRunInput("train_reward", { ...filled, split: " my-split " })).toMatchObject({ input: { payload: { config: { split: "my-split" } } } });
    expect(buildRunInput("train_reward", filled)).toMatchObject({ input: { payload: { config: { epochs: 1 } } } });
    expect(JSON.stringify(buildRunInput("train_reward", filled))).not.toContain("split");
  });

  it("sends a prompt list one prompt per line, blank lines dropped", () => {
    const built = buildRunInput("generate", { ...filled, promptSource: "list", prompts: "first\n\n  second  \n" });
    expect(built).toMatchObject({ input: { kind: "generate", payload: { projectId: id(5), prompts: ["first", "second"] } } });
    expect("input" in built && "snapshotId" in built.input.payload).toBe(false);
  });

  it("evaluates a reward model on held-out pairs, a safety model against labels, or a policy on an evaluation set", () => {
    expect(buildRunInput("evaluate", { ...filled, compareRewardModelId: id(8) })).toEqual({
      input: { kind: "evaluate", payload: { rewardModelId: id(3), pairsSnapshotId: id(2), compareRewardModelId: id(8), heldOutOnly: true, config: {} } },
    });
    expect(buildRunInput("evaluate", { ...filled, evalTarget: "safety", heldOutOnly: "false" })).toEqual({
      input: { kind: "evaluate", payload: { safetyModelId: id(7), safetyLabelsSnapshotId: id(2), heldOutOnly: false, config: {} } },
    });
    expect(buildRunInput("evaluate", { ...filled, evalTarget: "policy" })).toEqual({
      input: { kind: "evaluate", payload: { policyModelId: id(4), evaluationSetId: id(6), rewardModelId: id(3), safetyModelId: id(7), config: {} } },
    });
    expect(buildRunInput("evaluate", { ...filled, evalTarget: "policy", evaluationSetId: "" })).toEqual({ errors: { evaluationSetId: "Choose an evaluation set" } });
    for (const evalTarget of ["reward", "safety", "policy"] as const) {
      const built = buildRunInput("evaluate", { ...filled, evalTarget });
      expect("input" in built && ZStartRunInput.safeParse(built.input).success, evalTarget).toBe(true);
    }
  });

  it("asks runs.start to freeze a new snapshot from the filters when the snapshot is \"new\"", () => {
    const built = buildRunInput("ppo", { ...filled, snapshotId: "new", snapshotReviewed: "accepted,corrected", snapshotMinAgreement: "0.6", snapshotFrom: "2026-11-01" });
    expect(built).toMatchObject({
      input: { kind: "ppo", newSnapshot: { projectId: id(1), request: { format: "rankings", reviewState: "accepted,corrected", minAgreement: 0.6, from: "2026-11-01" } } },
    });
    expect("input" in built && "promptsSnapshotId" in built.input.payload).toBe(false);
    expect("input" in built && ZStartRunInput.safeParse(built.input).success).toBe(true);
    expect(buildRunInput("train_sft", { ...filled, snapshotId: "new" })).toMatchObject({ input: { newSnapshot: { request: { format: "sft" } } } });
    expect(buildRunInput("train_reward", { ...filled, snapshotId: "new", snapshotMinAgreement: "2" })).toEqual({ errors: { snapshotMinAgreement: "Min agreement is a number from 0 to 1" } });
  });

  it("scores a project's tasks with the chosen ensemble, or the project's most recent reward models when none is chosen", () => {
    expect(buildRunInput("acquire", { ...filled, ensemble: `${id(3)},${id(8)}`, borderlineWeight: "0.5" })).toEqual({
      input: { kind: "acquire", payload: { projectId: id(1), rewardModelIds: [id(3), id(8)], safetyModelId: id(7), config: { borderline_weight: 0.5, batch_size: 16, max_length: 512 } } },
    });
    expect(buildRunInput("acquire", { ...filled, safetyModelId: "" })).toEqual({
      input: { kind: "acquire", payload: { projectId: id(1), config: { borderline_weight: 0, batch_size: 16, max_length: 512 } } },
    });
    expect(buildRunInput("acquire", { ...filled, ensemble: id(3), borderlineWeight: "-1", projectId: "" })).toEqual({
      errors: { projectId: expect.any(String), ensemble: expect.stringMatching(/at least 2/), borderlineWeight: "Borderline weight must be a number ≥ 0" },
    });
  });
});
