// What a model version cost, summed along its lineage (the models its weights came from and the
// reward and safety models it was optimised against, each counted once): the labels its snapshots
// held and the device time of the jobs that trained each model.
import type { Db } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client";
import { ZExportFilter } from "../export/filter";
import { annotationCondition, taskCondition } from "../export/query";

// A lineage is a handful of models; the cap only guards against a cycle.
const maxLineage = 200;

type LineageNode = { id: string; name: string; kind: string; snapshotId: string | null; jobId: string | null };

/** The version and every model it depends on, each once (a shared ancestor is not counted twice). */
async function lineageOf(db: Db, modelVersionId: string): Promise<LineageNode[]> {
  const nodes = new Map<string, LineageNode>();
  let frontier = [modelVersionId];
  while (frontier.length && nodes.size < maxLineage) {
    const rows = await db.modelVersion.findMany({
      where: { id: { in: frontier } },
      select: { id: true, name: true, kind: true, snapshotId: true, jobId: true, parentId: true, rewardModelId: true, safetyModelId: true },
    });
    for (const r of rows) nodes.set(r.id, { id: r.id, name: r.name, kind: r.kind, snapshotId: r.snapshotId, jobId: r.jobId });
    frontier = [...new Set(rows.flatMap((r) => [r.parentId, r.rewardModelId, r.safetyModelId]).filter((id): id is string => id !== null && !nodes.has(id)))];
  }
  return [...nodes.values()];
}

/**
 * The annotations the snapshots held: the export filter each froze, up to the moment it was taken.
 * Two snapshots that share annotations count them once. The filter's gold-accuracy exclusion and
 * agreement threshold are not replayed (they depend on state that has moved since), so a snapshot
 * taken with them counts the annotations it could have held.
 */
async function labelsOf(db: Db, snapshotIds: string[]) {
  const snapshots = await db.snapshot.findMany({ where: { id: { in: snapshotIds } }, select: { id: true, projectId: true, filter: true, createdAt: true } });
  if (!snapshots.length) return { annotations: 0, timedAnnotations: 0, annotatorHours: 0 };
  const held = snapshots.map((s) => {
    const parsed = ZExportFilter.safeParse(s.filter);
    const filter = parsed.success ? parsed.data : {};
    const annotations = Prisma.sql`${annotationCondition(filter, [])} AND n."createdAt" <= ${s.createdAt}`;
    return Prisma.sql`(${taskCondition(s.projectId, filter, annotations)} AND ${annotations})`;
  });
  const [row] = await db.$queryRaw<{ n: number; timed: number; ms: bigint }[]>`
    SELECT count(*)::int AS n, count(n."timeSpentMs")::int AS timed, coalesce(sum(n."timeSpentMs"), 0)::bigint AS ms
    FROM annotation n JOIN task t ON t.id = n."taskId" JOIN prompt p ON p.id = t."promptId"
    WHERE ${Prisma.join(held, " OR ")}`;
  return { annotations: row?.n ?? 0, timedAnnotations: row?.timed ?? 0, annotatorHours: Number(row?.ms ?? 0) / 3_600_000 };
}

type JobTiming = { startedAt: Date | null; finishedAt: Date | null; events: { to: string; at: Date }[] };

/**
 * Hours a job ran: each attempt from its move to `running` to its next transition (a retried
 * attempt counts too, it used the device), or started → finished when no events were kept.
 */
export function runHours({ startedAt, finishedAt, events }: JobTiming, now = new Date()): number {
  let ms = 0;
  if (events.some((e) => e.to === "running")) {
    events.forEach((e, i) => {
      if (e.to !== "running") return;
      const end = events[i + 1]?.at ?? finishedAt ?? now;
      ms += Math.max(0, end.getTime() - e.at.getTime());
    });
  } else if (startedAt) {
    ms = Math.max(0, (finishedAt ?? now).getTime() - startedAt.getTime());
  }
  return ms / 3_600_000;
}

async function computeOf(db: Db, nodes: LineageNode[]) {
  const jobIds = [...new Set(nodes.map((n) => n.jobId).filter((id): id is string => id !== null))];
  const jobs = await db.job.findMany({
    where: { id: { in: jobIds } },
    orderBy: { createdAt: "asc" },
    select: { id: true, kind: true, gpus: true, startedAt: true, finishedAt: true, events: { orderBy: { at: "asc" }, select: { to: true, at: true } } },
  });
  const rows = jobs.map((j) => {
    const hours = runHours(j);
    const device = j.gpus > 0 ? ("gpu" as const) : ("cpu" as const);
    return {
      id: j.id,
      kind: j.kind,
      models: nodes.filter((n) => n.jobId === j.id).map((n) => n.name),
      device,
      gpus: j.gpus,
      hours,
      // A GPU job holds its GPUs for the whole run; a CPU job one worker.
      deviceHours: device === "gpu" ? hours * j.gpus : hours,
    };
  });
  const sum = (device: "gpu" | "cpu") => rows.filter((r) => r.device === device).reduce((s, r) => s + r.deviceHours, 0);
  return { gpuHours: sum("gpu"), cpuHours: sum("cpu"), jobs: rows };
}

/** Labels (count and annotator hours) and compute (GPU- and CPU-hours) along a version's lineage. */
export async function modelCost(db: Db, modelVersionId: string) {
  const exists = await db.modelVersion.findUnique({ where: { id: modelVersionId }, select: { id: true } });
  if (!exists) throw new AppError("NOT_FOUND", `No model version ${modelVersionId}`);
  const nodes = await lineageOf(db, modelVersionId);
  const snapshotIds = [...new Set(nodes.map((n) => n.snapshotId).filter((id): id is string => id !== null))];
  const [labels, compute] = await Promise.all([labelsOf(db, snapshotIds), computeOf(db, nodes)]);
  return { models: nodes.map((n) => ({ id: n.id, name: n.name, kind: n.kind })), labels: { ...labels, snapshots: snapshotIds.length }, compute };
}
