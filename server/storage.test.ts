import path from "node:path";
import { describe, expect, it } from "vitest";
import { relativeToStorage } from "./storage";

describe("relativeToStorage", () => {
  it("writes artifact and model paths relative to their roots, in values, nested objects and messages, and keeps dates", () => {
    const paths = { artifactDir: path.resolve("/srv/rlhf/artifacts"), modelsDir: path.resolve("/srv/rlhf/models") };
    const at = new Date("2026-12-05T10:00:00Z");
    const value = {
      createdAt: at,
      result: { checkpoint: "/srv/rlhf/artifacts/runs/j1/checkpoints/step-4", model: "/srv/rlhf/models/minilm-l6-v2" },
      error: "The file of snapshot s1 is missing or was changed (/srv/rlhf/artifacts/snapshots/p/s1.jsonl)",
      list: ["/srv/rlhf/artifacts", "runs/j1/model", 3, null],
    };
    expect(relativeToStorage(value, paths)).toEqual({
      createdAt: at,
      result: { checkpoint: "runs/j1/checkpoints/step-4", model: "models/minilm-l6-v2" },
      error: "The file of snapshot s1 is missing or was changed (snapshots/p/s1.jsonl)",
      list: [".", "runs/j1/model", 3, null],
    });
    expect(relativeToStorage(value, paths).createdAt).toBeInstanceOf(Date);
  });
});
