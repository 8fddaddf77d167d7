import path from "node:path";
import { ZStorageEnv } from "./env";

/** The folders files are read from and written to, as absolute paths. */
export type StoragePaths = {
  /** Snapshots and training runs (a shared volume when workers are on several machines). */
  artifactDir: string;
  /** The built-in default models, a local copy per machine. */
  modelsDir: string;
};

/** From ARTIFACT_DIR and MODELS_DIR (relative ones against the working directory). */
export function storagePathsFromEnv(env: NodeJS.ProcessEnv = process.env): StoragePaths {
  const parsed = ZStorageEnv.parse(env);
  return { artifactDir: path.resolve(parsed.ARTIFACT_DIR), modelsDir: path.resolve(parsed.MODELS_DIR) };
}
