// Writing a snapshot and deleting data exclude each other, per project. A snapshot reads the data,
// writes its file and only then inserts its row; a deletion finds the snapshots that hold the
// conversation through their rows. Without this lock a snapshot that read the conversation before
// the deletion committed, but inserted its row after the deletion looked, would keep the deleted
// text unflagged. Writers share the lock for the whole write (read, file, row); a deletion takes it
// alone inside its transaction before its last look, so it waits for the snapshots in flight to
// have rows, and snapshots started meanwhile wait for it to commit (and then read without the data).
import pg from "pg";
import { databaseUrlOf, type Db } from "../db";
import { hasErrorCode, lockNotAvailable } from "../error-codes";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";

/** The first key of the two-key advisory lock ("SNAP"); the second is the project id's hash. */
export const snapshotLockSpace = 0x534e4150;

/** Runs `write` holding the project's snapshot-writing lock, shared with other writers. */
export async function whileWritingSnapshot<T>(db: Db, projectId: string, write: () => Promise<T>): Promise<T> {
  // A connection of its own: a session lock must be released on the connection that took it,
  // which a pooled client cannot promise.
  const client = new pg.Client({ connectionString: databaseUrlOf(db), application_name: "snapshot-writing-lock" });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock_shared($1::int4, hashtext($2))", [snapshotLockSpace, projectId]);
    return await write();
  } finally {
    await client.end(); // the session's advisory locks end with it
  }
}

/**
 * Inside a deletion's transaction: waits (at most `waitSeconds`) until no snapshot of the project is
 * being written, and keeps new ones from starting until the transaction ends.
 */
export async function holdSnapshotWriters(tx: Prisma.TransactionClient, projectId: string, waitSeconds = 60): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${Math.round(waitSeconds * 1000)}ms'`);
  try {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${snapshotLockSpace}::int4, hashtext(${projectId}))`;
  } catch (err) {
    if (hasErrorCode(err, lockNotAvailable)) {
      throw new AppError("CONFLICT", `A snapshot of this project is still being written after ${waitSeconds} s of waiting; nothing was deleted. Try again once it is done.`);
    }
    throw err;
  }
  await tx.$executeRawUnsafe("SET LOCAL lock_timeout TO DEFAULT");
}
