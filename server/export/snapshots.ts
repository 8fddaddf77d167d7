// Immutable snapshots: an export frozen to a file in the artifact directory with a manifest
// (filter, format, row count, sha256, schema version, who and when). The file is written once,
// made read-only, and served as it is, so every download is byte-identical.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { writeAudit } from "../audit/log";
import type { Db } from "../db";
import { ZDataLimitsEnv } from "../env";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { ZExportRequest, type ExportRequest } from "./filter";
import { whileWritingSnapshot } from "./snapshot-writing-lock";
import { exportChunks } from "./stream";
import { exportSchemaVersion } from "./types";

const snapshotSelect = {
  id: true,
  projectId: true,
  format: true,
  aggregate: true,
  filter: true,
  rowCount: true,
  bytes: true,
  sha256: true,
  schemaVersion: true,
  createdAt: true,
  createdBy: { select: { name: true } },
  createdByKey: { select: { name: true } },
  containsDeletedDataAt: true,
  deletionIds: true,
  replacesId: true,
  replacesBecause: true,
  replacedBy: { select: { id: true }, orderBy: { createdAt: "asc" } },
} satisfies Prisma.SnapshotSelect;

type SnapshotRow = Prisma.SnapshotGetPayload<{ select: typeof snapshotSelect }>;

/** The manifest as the API shows it. */
function manifest(s: SnapshotRow) {
  return {
    id: s.id,
    projectId: s.projectId,
    format: s.format,
    aggregate: s.aggregate,
    filter: s.filter,
    rowCount: s.rowCount,
    bytes: Number(s.bytes),
    sha256: s.sha256,
    schemaVersion: s.schemaVersion,
    createdAt: s.createdAt,
    createdBy: s.createdBy?.name ?? s.createdByKey?.name ?? null,
    /** Set when conversations in this file were deleted since (the file is kept as it was). */
    containsDeletedData: s.containsDeletedDataAt ? { since: s.containsDeletedDataAt, deletionIds: s.deletionIds } : null,
    /** A rebuild without deleted data: the snapshot it replaces and the deletions that made it necessary. */
    replaces: s.replacesId ? { snapshotId: s.replacesId, deletionIds: s.replacesBecause } : null,
    replacedBy: s.replacedBy.map((r) => r.id),
  };
}
export type SnapshotManifest = ReturnType<typeof manifest>;

/** The disk a project's snapshots may take, in bytes (SNAPSHOT_QUOTA_MB_PER_PROJECT). */
export function snapshotQuotaBytes(env: NodeJS.ProcessEnv = process.env): number {
  return ZDataLimitsEnv.parse(env).SNAPSHOT_QUOTA_MB_PER_PROJECT * 1024 * 1024;
}

async function usedBytes(db: Db, projectId: string): Promise<number> {
  const { _sum } = await db.snapshot.aggregate({ where: { projectId }, _sum: { bytes: true } });
  return Number(_sum.bytes ?? 0);
}

function quotaError(used: number, quota: number): AppError {
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  return new AppError("QUOTA_EXCEEDED", `This project's snapshots would take ${mb(used)} of its ${mb(quota)} quota (SNAPSHOT_QUOTA_MB_PER_PROJECT); nothing was written`);
}

export async function createSnapshot(
  db: Db,
  {
    projectId,
    request,
    artifactDir,
    createdById = null,
    createdByKeyId = null,
    quotaBytes = snapshotQuotaBytes(),
    replaces = null,
  }: {
    projectId: string;
    request: ExportRequest;
    artifactDir: string;
    createdById?: string | null;
    createdByKeyId?: string | null;
    quotaBytes?: number;
    replaces?: { snapshotId: string; deletionIds: string[] } | null;
  },
): Promise<SnapshotManifest> {
  // A deletion waits until the row exists, so that it sees every snapshot that read its data.
  const row = await whileWritingSnapshot(db, projectId, () => writeSnapshot(db, { projectId, request, artifactDir, createdById, createdByKeyId, quotaBytes, replaces }));
  const { format, aggregate } = request;
  await writeAudit(db, {
    actorId: createdById,
    action: replaces ? "snapshot.rebuild" : "snapshot.create",
    target: `snapshot:${row.id}`,
    projectId,
    after: { format, aggregate, rowCount: row.rowCount, sha256: row.sha256, apiKeyId: createdByKeyId, ...(replaces ? { replaces: replaces.snapshotId, deletionIds: replaces.deletionIds } : {}) },
  });
  return manifest(row);
}

/** The file, then the row, with no lock: createSnapshot holds the project's snapshot-writing lock around it. */
export async function writeSnapshot(
  db: Db,
  { projectId, request, artifactDir, createdById, createdByKeyId, quotaBytes, replaces }: { projectId: string; request: ExportRequest; artifactDir: string; createdById: string | null; createdByKeyId: string | null; quotaBytes: number; replaces: { snapshotId: string; deletionIds: string[] } | null },
) {
  // Snapshots are kept (they record what was trained on), so a project's disk has a ceiling.
  const before = await usedBytes(db, projectId);
  if (before >= quotaBytes) throw quotaError(before, quotaBytes);
  const id = randomUUID();
  const relative = path.join("snapshots", projectId, `${id}.jsonl`);
  const final = path.join(artifactDir, relative);
  const partial = `${final}.partial`;
  await mkdir(path.dirname(final), { recursive: true });
  const hash = createHash("sha256");
  let rowCount = 0;
  let bytes = 0;
  const file = await open(partial, "wx");
  try {
    for await (const buf of exportChunks(db, { projectId, request })) {
      hash.update(buf);
      bytes += buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) rowCount++;
      if (before + bytes > quotaBytes) throw quotaError(before + bytes, quotaBytes);
      await file.write(buf);
    }
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(partial, { force: true });
    throw err;
  }
  await file.close();
  await chmod(partial, 0o444);
  await rename(partial, final);
  const { format, aggregate, ...filter } = request;
  return db.snapshot.create({
    data: {
      id,
      projectId,
      format,
      aggregate,
      filter: JSON.parse(JSON.stringify(filter)) as Prisma.InputJsonObject,
      rowCount,
      bytes,
      sha256: hash.digest("hex"),
      schemaVersion: exportSchemaVersion,
      path: relative,
      createdById,
      createdByKeyId,
      replacesId: replaces?.snapshotId ?? null,
      replacesBecause: replaces?.deletionIds ?? [],
    },
    select: snapshotSelect,
  });
}

/**
 * A new snapshot with the same format, aggregate and filter as one that holds deleted data, written
 * from the current database (which no longer has it): a new file and sha256, whose manifest says
 * which snapshot it replaces and for which deletions. The old snapshot stays as it was.
 */
export async function rebuildSnapshot(db: Db, { projectId, snapshotId, artifactDir, createdById }: { projectId: string; snapshotId: string; artifactDir: string; createdById: string | null }) {
  const old = await db.snapshot.findFirst({ where: { id: snapshotId, projectId }, select: { format: true, aggregate: true, filter: true, deletionIds: true, containsDeletedDataAt: true } });
  if (!old) throw new AppError("NOT_FOUND", `No snapshot ${snapshotId} in project ${projectId}`);
  if (!old.containsDeletedDataAt) throw new AppError("BAD_REQUEST", `Snapshot ${snapshotId} holds no deleted data: there is nothing to rebuild`);
  const request = ZExportRequest.parse({ ...(old.filter as Record<string, unknown>), format: old.format, aggregate: old.aggregate });
  return createSnapshot(db, { projectId, request, artifactDir, createdById, replaces: { snapshotId, deletionIds: old.deletionIds } });
}

/**
 * Removes a snapshot that nothing has used yet: one created for a run that was then refused.
 * Snapshots that runs or downloads have used are never removed (they are the record of what was trained on).
 */
export async function deleteSnapshot(db: Db, { snapshotId, artifactDir }: { snapshotId: string; artifactDir: string }) {
  const row = await db.snapshot.delete({ where: { id: snapshotId }, select: { path: true, projectId: true } });
  await writeAudit(db, { actorId: null, action: "snapshot.delete", target: `snapshot:${snapshotId}`, projectId: row.projectId, after: { reason: "the run it was made for was refused" } });
  await rm(snapshotFilePath(artifactDir, row.path), { force: true });
}

export async function listSnapshots(db: Db, projectId: string): Promise<SnapshotManifest[]> {
  const rows = await db.snapshot.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, select: snapshotSelect });
  return rows.map(manifest);
}

export async function getSnapshot(db: Db, { projectId, snapshotId }: { projectId: string; snapshotId: string }) {
  const row = await db.snapshot.findFirst({ where: { id: snapshotId, projectId }, select: { ...snapshotSelect, path: true } });
  if (!row) throw new AppError("NOT_FOUND", `No snapshot ${snapshotId} in project ${projectId}`);
  return { manifest: manifest(row), path: row.path };
}

/** Where a snapshot's file is: its stored path is relative to the artifact directory. */
export function snapshotFilePath(artifactDir: string, snapshotPath: string): string {
  return path.resolve(artifactDir, snapshotPath);
}

/** The snapshot's file as a web stream, after checking it is still the size the manifest says. */
export async function openSnapshotFile(artifactDir: string, snapshot: { path: string; manifest: SnapshotManifest }): Promise<ReadableStream<Uint8Array>> {
  const file = snapshotFilePath(artifactDir, snapshot.path);
  const info = await stat(file).catch(() => null);
  if (!info || info.size !== snapshot.manifest.bytes) throw new AppError("INTERNAL", `The file of snapshot ${snapshot.manifest.id} is missing or was changed`);
  return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
}
