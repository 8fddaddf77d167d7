import { snapshotManifestResponse } from "../../../../../../../server/export/http";
import { withSessionOnProject } from "../../../../../../../server/http/session-route";
import { assertStorable } from "../../../../../../../server/text/storable";

/** A snapshot's manifest, from the console, as a file to keep beside the snapshot. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withSessionOnProject(req, projectId, "admin", async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
    return snapshotManifestResponse(db, projectId, snapshotId, { attachment: true });
  });
}
