import { describe, expect, it } from "vitest";
import { rewardConfig, ZRewardOverrides } from "./trainer-config";

describe("reward config", () => {
  it("puts the pinned inputs over the overrides", () => {
    const overrides = ZRewardOverrides.parse({ epochs: 2, lr: 1e-4, margin: "small" });
    expect(rewardConfig({ snapshotFile: "/a/s.jsonl", snapshotFormat: "rankings", modelDir: "/m/minilm", outputDir: "/a/runs/j" }, overrides)).toEqual({
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
