import { snapshotFileResponse } from "../../../../../../../server/export/http";
import { withSessionOnProject } from "../../../../../../../server/http/session-route";
import { assertStorable } from "../../../../../../../server/text/storable";

/** A snapshot's file, from the console. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string; snapshotId: string }> }) {
  const { projectId, snapshotId } = await params;
  return withSessionOnProject(req, projectId, "admin", async ({ db }) => {
    assertStorable(snapshotId, "snapshotId");
    return snapshotFileResponse(db, projectId, snapshotId);
  });
}
