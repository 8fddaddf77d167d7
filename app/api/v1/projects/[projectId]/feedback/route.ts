import { withApiKey } from "../../../../../../server/api-keys/http";
import { feedbackFromRequest } from "../../../../../../server/feedback/http";

/** Production feedback as JSON Lines, one conversation a line; redacted before anything is stored. */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withApiKey(req, projectId, ({ db, key }) => feedbackFromRequest(db, req, { projectId, apiKeyId: key.keyId }), "write");
}
