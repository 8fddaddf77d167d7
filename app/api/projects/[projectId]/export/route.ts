import { exportResponse } from "../../../../../server/export/http";
import { withSessionOnProject } from "../../../../../server/http/session-route";

/** The console's export download (signed-in admins): the same stream, filters and formats as /api/v1. */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withSessionOnProject(req, projectId, "admin", ({ db }) => exportResponse(db, projectId, new URL(req.url)));
}
