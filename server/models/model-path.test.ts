import { describe, expect, it } from "vitest";
import { artifactRelative, resolveModelDir } from "./model-path";

const paths = { artifactDir: "/srv/artifacts", modelsDir: "/opt/models" };

describe("model paths", () => {
  it("resolves built-in models under MODELS_DIR, trained ones under ARTIFACT_DIR, absolute ones as they are", () => {
    expect(resolveModelDir({ path: "minilm-l6-v2", builtin: true }, paths)).toBe("/opt/models/minilm-l6-v2");
    expect(resolveModelDir({ path: "runs/j1/model", builtin: false }, paths)).toBe("/srv/artifacts/runs/j1/model");
    expect(resolveModelDir({ path: "/data/my-model", builtin: false }, paths)).toBe("/data/my-model");
  });

  it("stores artifact folders relative to the artifact directory and refuses folders outside it", () => {
    expect(artifactRelative("/srv/artifacts", "/srv/artifacts/runs/j1/model")).toBe("runs/j1/model");
    expect(() => artifactRelative("/srv/artifacts", "/srv/other")).toThrow(/outside the artifact directory/);
  });
});
