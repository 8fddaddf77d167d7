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

/** The stored capabilities JSON, read defensively: a row written by an older worker may lack a field. */
function readCapabilities(json: unknown): Capabilities {
  const c = (json ?? {}) as Partial<Capabilities>;
  return {
    cpus: typeof c.cpus === "number" ? c.cpus : 0,
    memoryBytes: typeof c.memoryBytes === "number" ? c.memoryBytes : 0,
    gpus: Array.isArray(c.gpus) ? c.gpus.map((g) => ({ name: String(g?.name ?? "GPU"), memoryMiB: Number(g?.memoryMiB ?? 0) })) : [],
  };
}

/**
 * Workers for the console, most recently seen first: alive when their heartbeat (`lastSeenAt`) is
 * newer than the timeout the sweepers use, with the jobs the job table says they are running now.
 */
export async function listWorkerStatus(db: Db, { timeoutSeconds, now = new Date() }: { timeoutSeconds: number; now?: Date }) {
  const workers = await listWorkers(db);
  const running = await db.job.findMany({
    where: { state: "running", workerId: { in: workers.map((w) => w.id) } },
    orderBy: { startedAt: "asc" },
    select: { id: true, kind: true, workerId: true, progress: true, startedAt: true },
  });
  const cutoff = now.getTime() - timeoutSeconds * 1000;
  return workers.map((w) => ({
    id: w.id,
    host: w.host,
    capabilities: readCapabilities(w.capabilities),
    startedAt: w.startedAt,
    lastSeenAt: w.lastSeenAt,
    alive: w.lastSeenAt.getTime() >= cutoff,
    runningJobs: running.filter((j) => j.workerId === w.id).map((j) => ({ id: j.id, kind: j.kind, progress: j.progress, startedAt: j.startedAt })),
  }));
}
