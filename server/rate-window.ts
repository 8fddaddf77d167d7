// Fixed-window limits counted in the database (rate-limiter-flexible's Prisma store), so every
// server process shares them.
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "./db";
import { AppError } from "./errors";

const limiters = new WeakMap<Db, Map<string, RateLimiterPrisma>>();

/**
 * A fixed window per key, counted in the database so every server process shares it; past it,
 * TOO_MANY_REQUESTS with `refusal(seconds before the window ends)`.
 */
export async function consumeWindow(
  db: Db,
  key: string,
  window: { prefix: string; points: number; seconds: number },
  refusal: (retryAfterSeconds: number) => string,
): Promise<void> {
  let byWindow = limiters.get(db);
  if (!byWindow) limiters.set(db, (byWindow = new Map()));
  const id = `${window.prefix}:${window.points}:${window.seconds}`;
  let limiter = byWindow.get(id);
  if (!limiter) {
    limiter = new RateLimiterPrisma({ storeClient: db, tableName: "rateLimit", keyPrefix: window.prefix, points: window.points, duration: window.seconds });
    byWindow.set(id, limiter);
  }
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw new AppError("TOO_MANY_REQUESTS", refusal(err.msBeforeNext / 1000));
    throw err;
  }
}

