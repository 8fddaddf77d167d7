// A worker outlives a database restart: a write that fails because the database cannot be reached is
// tried again until it is back, for as long as the job stays this worker's (its heartbeat timeout),
// instead of failing a job that ran to its end.
import { isDatabaseUnavailable } from "../server/db-unavailable";
import type { Logger } from "../server/logger";

export async function whileDatabaseUnavailable<T>(write: () => Promise<T>, { log, giveUpAfterMs, what }: { log: Logger; giveUpAfterMs: number; what: string }): Promise<T> {
  const started = Date.now();
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await write();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() - started + wait > giveUpAfterMs) throw err;
      log.warn({ what, retryInMs: wait }, "database unavailable; trying again");
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
