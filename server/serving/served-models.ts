// Model versions that a running `serve` job keeps loaded, and who may chat with them. The model
// server's address stays on the server side: browsers see model versions, never addresses.
import { z } from "zod";
import type { Db } from "../db";
import { AppError } from "../errors";
import { accessAllows, type AccessHolder } from "../users/roles";

/** The load a server reports at /health (trainer/commands/serve.py). */
export const ZServerLoad = z.object({
  waiting: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  requests_served: z.number().int().nonnegative(),
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});
export const ZServerHealth = z.object({ status: z.literal("ok"), load: ZServerLoad });

/** What a running serve job keeps in its result: where its server listens and how busy it is. */
export const ZServeResult = z.object({
  modelVersionId: z.string(),
  modelName: z.string(),
  url: z.url().nullable(),
  backend: z.string().optional(),
  load: ZServerLoad.nullable().optional(),
  startedAt: z.string().optional(),
  checkedAt: z.string().nullable().optional(),
});
export type ServeResult = z.infer<typeof ZServeResult>;

/** Who may chat in the Playground: reviewers and admins, and anyone flagged as a red-teamer. */
export function canUsePlayground(user: AccessHolder): boolean {
  return accessAllows(user, "red_teamer");
}

export function assertCanUsePlayground(user: AccessHolder): void {
  if (!canUsePlayground(user)) throw new AppError("FORBIDDEN", "The Playground is for reviewers, admins and red-teamers.");
}

export type ServedModel = { modelVersionId: string; name: string; kind: string; jobId: string; ready: boolean; since: Date | null };

/** The model versions being served, for the Playground's picker (no addresses). */
export async function listServedModels(db: Db): Promise<ServedModel[]> {
  const jobs = await db.job.findMany({ where: { kind: "serve", state: "running" }, orderBy: { startedAt: "asc" }, select: { id: true, result: true, startedAt: true } });
  const served = jobs.flatMap((job) => {
    const result = ZServeResult.safeParse(job.result);
    return result.success ? [{ job, result: result.data }] : [];
  });
  const versions = await db.modelVersion.findMany({ where: { id: { in: served.map((s) => s.result.modelVersionId) } }, select: { id: true, name: true, kind: true } });
  const byId = new Map(versions.map((v) => [v.id, v]));
  return served.flatMap(({ job, result }) => {
    const version = byId.get(result.modelVersionId);
    return version ? [{ modelVersionId: version.id, name: version.name, kind: version.kind, jobId: job.id, ready: result.url !== null, since: job.startedAt }] : [];
  });
}

/** The address of the server that serves this model version now. */
export async function servedModelUrlOrThrow(db: Db, modelVersionId: string): Promise<{ url: string; modelName: string }> {
  const jobs = await db.job.findMany({
    where: { kind: "serve", state: "running", payload: { path: ["modelVersionId"], equals: modelVersionId } },
    select: { result: true },
  });
  for (const job of jobs) {
    const result = ZServeResult.safeParse(job.result);
    if (result.success && result.data.url) return { url: result.data.url, modelName: result.data.modelName };
  }
  if (jobs.length) throw new AppError("CONFLICT", "That model's server is still starting; try again in a moment.");
  throw new AppError("NOT_FOUND", `Model version ${modelVersionId} is not being served: start a serve job for it (Models → Serve).`);
}
