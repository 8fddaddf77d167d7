import { assertStorable } from "../../../../../../../server/text/storable";
import { withApiKey } from "../../../../../../../server/api-keys/http";
import { getSnapshot } from "../../../../../../../server/export/snapshots";

/** The snapshot's manifest. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withApiKey(req, projectId, async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
    return Response.json((await getSnapshot(db, { projectId, snapshotId })).manifest);
  });
}
