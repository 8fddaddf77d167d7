// Label-budget forecasts: a `forecast` run trains reward models on nested subsets of a project's
// labels and fits how held-out accuracy grows with pairs; its result carries the forecast.
import type { Db } from "../db";
import { AppError } from "../errors";
import { forecastOfResult } from "./forecast-result";

/**
 * The project's most recent succeeded forecast (the worker writes the project into the result), or
 * null when none has succeeded yet.
 */
export async function latestForecast(db: Db, { projectId }: { projectId: string }) {
  const project = await db.project.findUnique({ where: { id: projectId }, select: { id: true } });
  if (!project) throw new AppError("NOT_FOUND", `No project with id ${projectId}`);
  const job = await db.job.findFirst({
    where: { kind: "forecast", state: "succeeded", result: { path: ["projectId"], equals: projectId } },
    orderBy: [{ finishedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    select: { id: true, payload: true, result: true, createdAt: true, finishedAt: true },
  });
  if (!job) return null;
  const forecast = forecastOfResult(job.result);
  if (!forecast) return null;
  const payload = job.payload as { name?: string; snapshotId?: string };
  return { jobId: job.id, name: payload.name ?? null, snapshotId: payload.snapshotId ?? null, createdAt: job.createdAt, finishedAt: job.finishedAt, forecast };
}
