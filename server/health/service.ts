import type { Db } from "../db";
import { isDatabaseUnavailable } from "../db-unavailable";
import { logger } from "../logger";

export type HealthReport = { ok: boolean; db: { ok: boolean; error?: string }; queue: { ok: boolean; error?: string } };

const timeoutMs = 3000;

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs))]);
}

async function probe(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn());
    return { ok: true };
  } catch (err) {
    // The report is public: it says what kind of failure, the log says the rest.
    logger.warn({ err }, "health probe failed");
    const timedOut = err instanceof Error && err.message.startsWith("timed out");
    return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : isDatabaseUnavailable(err) ? "unreachable" : "failed (see the server log)" };
  }
}

/** Database reachability, and the job queue answering (its client started, its tables readable). */
export async function checkHealth(db: Db, probeQueue: () => Promise<unknown>): Promise<HealthReport> {
  const dbReport = await probe(() => db.$queryRaw`SELECT 1`);
  const queue = await probe(probeQueue);
  return { ok: dbReport.ok && queue.ok, db: dbReport, queue };
}
