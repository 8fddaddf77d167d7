import { withApiKey } from "../../../../../../server/api-keys/http";
import { exportResponse } from "../../../../../../server/export/http";

/** Streams the project's preference data as JSON Lines (gzip=1: a .jsonl.gz file). */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withApiKey(req, projectId, ({ db }) => exportResponse(db, projectId, new URL(req.url)));
}
