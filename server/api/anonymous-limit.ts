// Calls made without a session cost queries but answer to nobody: they get a budget per client
// address, counted in this process's memory (cheap enough to stay ahead of a flood, which a
// database counter per call would not be). Without a trusted proxy there is no client address, so
// every anonymous caller shares one budget: a flood then slows only other anonymous calls, never a
// signed-in user.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { ZRequestLimitsEnv } from "../env";
import { AppError } from "../errors";
import { clientAddress } from "../users/sign-in-guard";

export type AnonymousLimiter = { consume: (headers: Headers) => Promise<void> };

export function createAnonymousLimiter({ callsPerMinute, trustedProxyHops }: { callsPerMinute: number; trustedProxyHops: number }): AnonymousLimiter {
  const limiter = new RateLimiterMemory({ keyPrefix: "anonymous-trpc", points: callsPerMinute, duration: 60 });
  return {
    async consume(headers) {
      const address = clientAddress(headers, trustedProxyHops) ?? "unknown address";
      try {
        await limiter.consume(address);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new AppError("TOO_MANY_REQUESTS", `Too many calls without signing in (ANONYMOUS_CALLS_PER_MINUTE); try again in ${seconds} s, or sign in`);
      }
    },
  };
}

const globalForLimiter = globalThis as unknown as { anonymousLimiter?: AnonymousLimiter };

/** The web process's limiter, from ANONYMOUS_CALLS_PER_MINUTE and TRUSTED_PROXY_HOPS. */
export function getAnonymousLimiter(): AnonymousLimiter {
  const env = ZRequestLimitsEnv.parse(process.env);
  globalForLimiter.anonymousLimiter ??= createAnonymousLimiter({ callsPerMinute: env.ANONYMOUS_CALLS_PER_MINUTE, trustedProxyHops: env.TRUSTED_PROXY_HOPS });
  return globalForLimiter.anonymousLimiter;
}
