import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";
import type { Capabilities } from "./capabilities";

/** Records a worker that has just started, with what it can run. */
export async function registerWorker(db: Db, worker: { id: string; host: string; capabilities: Capabilities }) {
  const now = new Date();
  const capabilities = worker.capabilities as unknown as Prisma.InputJsonValue;
  await db.worker.upsert({
    where: { id: worker.id },
    create: { id: worker.id, host: worker.host, capabilities, startedAt: now, lastSeenAt: now },
    update: { host: worker.host, capabilities, startedAt: now, lastSeenAt: now },
  });
}

/** The worker's own heartbeat: it is alive, whether or not it runs a job. */
export async function touchWorker(db: Db, id: string) {
  await db.worker.updateMany({ where: { id }, data: { lastSeenAt: new Date() } });
}

export function listWorkers(db: Db) {
  return db.worker.findMany({ orderBy: { lastSeenAt: "desc" } });
}
