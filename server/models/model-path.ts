import path from "node:path";
import type { StoragePaths } from "../storage";

/** A model version's folder on this machine: built-in models under MODELS_DIR, trained ones under ARTIFACT_DIR. */
export function resolveModelDir(model: { path: string; builtin: boolean }, paths: StoragePaths): string {
  return path.resolve(model.builtin ? paths.modelsDir : paths.artifactDir, model.path);
}

/** A folder inside the artifact directory as it is stored (relative), so a shared volume may be mounted anywhere. */
export function artifactRelative(artifactDir: string, absolute: string): string {
  const rel = path.relative(artifactDir, absolute);
  if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`${absolute} is outside the artifact directory ${artifactDir}`);
  return rel.split(path.sep).join("/");
}
