// Whether an error from Prisma (or the pg driver under it) carries one of the given codes: Prisma's
// own (P2002, …) or a PostgreSQL SQLSTATE (23505, 55P03, …), however deep the driver adapter
// wrapped it.

type Inspectable = { code?: unknown; originalCode?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } };

export function hasErrorCode(err: unknown, codes: readonly string[], depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== "object") return false;
  const e = err as Inspectable;
  if ((typeof e.code === "string" && codes.includes(e.code)) || (typeof e.originalCode === "string" && codes.includes(e.originalCode))) return true;
  return hasErrorCode(e.meta?.driverAdapterError?.cause, codes, depth + 1) || hasErrorCode(e.cause, codes, depth + 1);
}

/** A unique index refused the row: Prisma's P2002, or SQLSTATE 23505 where Prisma passes it through. */
export const uniqueViolation = ["P2002", "23505"] as const;
/** lock_timeout ran out: SQLSTATE 55P03 (lock_not_available). */
export const lockNotAvailable = ["55P03"] as const;
