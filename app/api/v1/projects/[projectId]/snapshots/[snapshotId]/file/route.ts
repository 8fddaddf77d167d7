import { assertStorable } from "../../../../../../../../server/text/storable";
import { withApiKey } from "../../../../../../../../server/api-keys/http";
import { getEnv } from "../../../../../../../../server/env";
import { getSnapshot, openSnapshotFile } from "../../../../../../../../server/export/snapshots";

/** The snapshot's JSON Lines, byte for byte as frozen; its sha256 is in the manifest and the ETag. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withApiKey(req, projectId, async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
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
  });
}
