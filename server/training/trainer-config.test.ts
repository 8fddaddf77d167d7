import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  commandKeys,
  evaluateConfig,
  generateConfig,
  ppoConfig,
  snapshotModelConfig,
  ZEvaluateOverrides,
  ZGenerateOverrides,
  ZPpoOverrides,
  ZRewardOverrides,
  ZSafetyOverrides,
  ZSftOverrides,
} from "./trainer-config";

describe("reward config", () => {
  it("puts the pinned inputs over the overrides", () => {
    const overrides = ZRewardOverrides.parse({ epochs: 2, lr: 1e-4, margin: "small" });
    expect(snapshotModelConfig({ snapshotFile: "/a/s.jsonl", snapshotFormat: "rankings", modelDir: "/m/minilm", outputDir: "/a/runs/j" }, overrides)).toEqual({
      epochs: 2,
      lr: 1e-4,
      margin: "small",
      data: "/a/s.jsonl",
      format: "rankings",
      model: "/m/minilm",
      output_dir: "/a/runs/j",
    });
  });

  it("refuses unknown keys, inputs passed as overrides and out-of-range values, naming them", () => {
    const unknown = ZRewardOverrides.safeParse({ learning_rate: 1 });
    expect(unknown.success).toBe(false);
    expect(JSON.stringify(unknown.error?.issues)).toContain("learning_rate");
    expect(ZRewardOverrides.safeParse({ data: "/etc/passwd" }).success).toBe(false);
    expect(ZRewardOverrides.safeParse({ output_dir: "/tmp" }).success).toBe(false);
    expect(ZRewardOverrides.safeParse({ format: "pairs" }).success).toBe(false);
    expect(ZRewardOverrides.safeParse({ margin: true }).error?.issues[0]?.path).toEqual(["margin"]);
    expect(ZRewardOverrides.safeParse({ epochs: 0 }).error?.issues[0]?.path).toEqual(["epochs"]);
    expect(ZRewardOverrides.safeParse({ device: "gpu" }).error?.issues[0]?.message).toMatch(/auto, cpu, cuda/);
  });
});

describe("overrides and the trainer's Config classes", () => {
  it("are generated from them and up to date (`make generated` rewrites them)", () => {
    const generated = path.resolve("server/training/trainer-options.generated.ts");
    const check = () =>
      execFileSync(path.resolve(".venv/bin/python"), ["-m", "trainer.ts_options", "--check", generated], { cwd: path.resolve("workers/trainer"), encoding: "utf8", stdio: "pipe" });
    expect(check).not.toThrow();
  }, 60_000);

  it("name every field of each command's Python Config exactly once: override, pinned input or left out", () => {
    const script = [
      "import dataclasses, importlib, json",
      `print(json.dumps({c: [f.name for f in dataclasses.fields(importlib.import_module('trainer.commands.' + c).Config)] for c in ${JSON.stringify(Object.keys(commandKeys))}}))`,
    ].join("\n");
    const out = execFileSync(path.resolve(".venv/bin/python"), ["-c", script], { cwd: path.resolve("workers/trainer"), encoding: "utf8" });
    const fields = JSON.parse(out) as Record<string, string[]>;
    for (const [command, keys] of Object.entries(commandKeys)) {
      const overrides = Object.keys(keys.overrides.shape);
      const named = [...overrides, ...keys.pinned, ...keys.unexposed];
      expect(new Set(named).size, `${command}: a key is listed twice`).toBe(named.length);
      expect(named.toSorted(), command).toEqual(fields[command]?.toSorted());
    }
  }, 60_000);
});

describe("ppo, generate and evaluate configs", () => {
  it("pin the models, prompts and K from the job's inputs, over any override", () => {
    expect(
      ppoConfig({ policyDir: "/p", rewardModelDir: "/r", safetyModelDir: null, promptsFile: "/s.jsonl", outputDir: "/o" }, ZPpoOverrides.parse({ steps: 3, safety_mode: "none" })),
    ).toEqual({ steps: 3, safety_mode: "none", policy: "/p", reward_model: "/r", safety_model: null, prompts: "/s.jsonl", output_dir: "/o" });
    expect(generateConfig({ policyDir: "/p", promptsFile: "/o/prompts.jsonl", numSamples: 3, outputDir: "/o" }, ZGenerateOverrides.parse({ temperature: 0.7 }))).toEqual({
      temperature: 0.7,
      policy: "/p",
      prompts: "/o/prompts.jsonl",
      num_samples: 3,
      output_dir: "/o",
    });
    const none = { compareRewardModelDir: null, safetyModelDir: null, safetyLabelsFile: null, referencePolicyDir: null };
    expect(evaluateConfig({ ...none, rewardModelDir: "/r", pairsFile: "/pairs.jsonl", policyDir: null, promptsFile: null, outputDir: "/o" }, { split: "s1" })).toMatchObject({
      reward_model: "/r",
      pairs: "/pairs.jsonl",
      format: "auto",
      policy: null,
      prompts: null,
      split: "s1",
    });
  });

  it("refuses overrides of pinned inputs and out-of-range values", () => {
    expect(ZGenerateOverrides.safeParse({ num_samples: 8 }).success).toBe(false);
    expect(ZPpoOverrides.safeParse({ reward_model: "/x" }).success).toBe(false);
    expect(ZPpoOverrides.safeParse({ kl_estimator: "k2" }).error?.issues[0]?.path).toEqual(["kl_estimator"]);
    expect(ZSftOverrides.safeParse({ lora_r: -1 }).error?.issues[0]?.path).toEqual(["lora_r"]);
    expect(ZSafetyOverrides.safeParse({ cost_order: "table", reward_table: { allowed: { A: 1 } } }).success).toBe(true);
    expect(ZEvaluateOverrides.safeParse({ refusal_markers: [] }).error?.issues[0]?.path).toEqual(["refusal_markers"]);
  });
});
