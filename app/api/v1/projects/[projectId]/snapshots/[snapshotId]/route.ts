import { withApiKey } from "../../../../../../../server/api-keys/http";
import { snapshotManifestResponse } from "../../../../../../../server/export/http";
import { assertStorable } from "../../../../../../../server/text/storable";

/** The snapshot's manifest. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withApiKey(req, projectId, async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
    return snapshotManifestResponse(db, projectId, snapshotId, { attachment: false });
  });
}
