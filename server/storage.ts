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

/**
 * `value` with every absolute path under the artifact root written relative to it, and the models
 * folder's as `models/…`: what admin procedures show of results, evals and errors names no server
 * folder. Dates and other non-plain objects are kept as they are.
 */
export function relativeToStorage<T>(value: T, paths: StoragePaths = storagePathsFromEnv()): T {
  const prefixes: [string, string][] = [
    [`${paths.artifactDir}${path.sep}`, ""],
    [`${paths.modelsDir}${path.sep}`, `models${path.sep}`],
    [paths.artifactDir, "."],
  ];
  const rewrite = (v: unknown): unknown => {
    if (typeof v === "string") return prefixes.reduce((s, [from, to]) => s.replaceAll(from, to), v);
    if (Array.isArray(v)) return v.map(rewrite);
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, rewrite(inner)]));
    }
    return v;
  };
  return rewrite(value) as T;
}
