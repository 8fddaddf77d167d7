// Failed sign-ins counted per account and per client address, in PostgreSQL, so every web process
// shares the counts and an attacker cannot escape them by sending another X-Forwarded-For.
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { Db } from "../db";

export type SignInLimits = {
  /** Failed sign-ins of one account per window before it is locked for the rest of the window. */
  failuresPerAccount: number;
  /** Failed sign-ins from one client address per window (only when the address can be trusted). */
  failuresPerAddress: number;
  windowSeconds: number;
  /** Proxies in front of the app that append to X-Forwarded-For; 0: no header is trusted. */
  trustedProxyHops: number;
};

export const defaultSignInLimits: SignInLimits = { failuresPerAccount: 10, failuresPerAddress: 30, windowSeconds: 15 * 60, trustedProxyHops: 0 };

/**
 * The client's address as the trusted proxies saw it: each of the last `hops` proxies appends the
 * address it was called from, so the entry `hops` from the right is the client's. Entries further
 * left are whatever the client sent and prove nothing; with no trusted proxy there is no address.
 */
export function clientAddress(headers: Headers | undefined, trustedProxyHops: number): string | null {
  if (trustedProxyHops <= 0 || !headers) return null;
  const hops = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return hops.length >= trustedProxyHops ? hops[hops.length - trustedProxyHops]! : null;
}

export class SignInLocked extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed sign-ins; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`);
  }
}

export function createSignInGuard(db: Db, limits: SignInLimits) {
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterPrisma({ storeClient: db, tableName: "rateLimit", keyPrefix, points, duration: limits.windowSeconds, blockDuration: limits.windowSeconds });
  const byAccount = limiter("signin_account", limits.failuresPerAccount);
  const byAddress = limiter("signin_address", limits.failuresPerAddress);
  const keys = (email: string, headers: Headers | undefined) => ({ account: email.trim().toLowerCase(), address: clientAddress(headers, limits.trustedProxyHops) });

  return {
    /** Throws SignInLocked when the account or the address has used up its failures. */
    async check(email: string, headers: Headers | undefined) {
      const { account, address } = keys(email, headers);
      for (const [l, key] of [[byAccount, account], [byAddress, address]] as const) {
        if (key === null) continue;
        const res = await l.get(key);
        if (res && res.remainingPoints <= 0) throw new SignInLocked(Math.max(1, res.msBeforeNext / 1000));
      }
    },
    async failed(email: string, headers: Headers | undefined) {
      const { account, address } = keys(email, headers);
      for (const [l, key] of [[byAccount, account], [byAddress, address]] as const) {
        if (key === null) continue;
        await l.consume(key).catch((err: unknown) => {
          if (!(err instanceof RateLimiterRes)) throw err;
        });
      }
    },
    /** A right password clears the account's count (not the address's: others may share it). */
    async succeeded(email: string, headers: Headers | undefined) {
      await byAccount.delete(keys(email, headers).account);
    },
  };
}
