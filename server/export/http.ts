// The export's HTTP answers, shared by the API-key routes (/api/v1) and the console's session routes
// (/api/projects): the same serialisers, filters, limits and headers either way.
import type { Db } from "../db";
import { getEnv } from "../env";
import { describeZodError } from "../errors";
import { errorResponse } from "../http/errors";
import { exportRequestFromSearchParams } from "./filter";
import { getSnapshot, openSnapshotFile } from "./snapshots";
import { exportChunks, toReadableStream } from "./stream";

/**
 * Streams the project's preference data as JSON Lines. With `gzip=1` the stream is gzipped and sent
 * as a .jsonl.gz file: Next.js does not pass a route handler's Content-Encoding through, so the
 * compression is the file's, not the transfer's.
 */
export async function exportResponse(db: Db, projectId: string, url: URL): Promise<Response> {
  const params = new URLSearchParams(url.searchParams);
  const gzip = params.get("gzip") === "1" || params.get("gzip") === "true";
  params.delete("gzip");
  const parsed = exportRequestFromSearchParams(params);
  if (!parsed.success) return errorResponse(400, "BAD_REQUEST", describeZodError(parsed.error));
  const chunks = exportChunks(db, { projectId, request: parsed.data });
  // Surface a missing project as 404 before the 200 header goes out.
  const first = await chunks.next();
  async function* all() {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  let body: ReadableStream<Uint8Array> = toReadableStream(all());
  const filename = `${projectId}-${parsed.data.format}.jsonl${gzip ? ".gz" : ""}`;
  if (gzip) body = body.pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Response(body, {
    headers: {
      "content-type": gzip ? "application/gzip" : "application/jsonl; charset=utf-8",
      "cache-control": "no-store, no-transform",
      "content-disposition": `attachment; filename="${filename}"`,
    },
  });
}

/** The snapshot's JSON Lines, byte for byte as frozen; its sha256 is in the manifest and the ETag. */
export async function snapshotFileResponse(db: Db, projectId: string, snapshotId: string): Promise<Response> {
  const snapshot = await getSnapshot(db, { projectId, snapshotId });
  const body = await openSnapshotFile(getEnv().ARTIFACT_DIR, snapshot);
  return new Response(body, {
    headers: {
      "content-type": "application/jsonl; charset=utf-8",
      "content-length": String(snapshot.manifest.bytes),
      etag: `"${snapshot.manifest.sha256}"`,
      "cache-control": "private, immutable, no-transform",
      "content-disposition": `attachment; filename="snapshot-${snapshotId}.jsonl"`,
    },
  });
}

/** The snapshot's manifest (format, filter, row count, bytes, sha256), as a file to keep beside it. */
export async function snapshotManifestResponse(db: Db, projectId: string, snapshotId: string, { attachment }: { attachment: boolean }): Promise<Response> {
  const { manifest } = await getSnapshot(db, { projectId, snapshotId });
  return Response.json(manifest, attachment ? { headers: { "content-disposition": `attachment; filename="snapshot-${snapshotId}.manifest.json"` } } : undefined);
}
