import { withApiKey } from "../../../../../../../../server/api-keys/http";
import { snapshotFileResponse } from "../../../../../../../../server/export/http";
import { assertStorable } from "../../../../../../../../server/text/storable";

/** The snapshot's JSON Lines, byte for byte as frozen; its sha256 is in the manifest and the ETag. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withApiKey(req, projectId, async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
    return snapshotFileResponse(db, projectId, snapshotId);
  });
}
