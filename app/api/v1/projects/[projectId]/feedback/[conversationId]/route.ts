import { withApiKey } from "../../../../../../../server/api-keys/http";
import { deleteFeedbackConversationFromRequest } from "../../../../../../../server/feedback/http";

/** Deletes a production conversation by the deployment's id, with everything made from it. */
export async function DELETE(req: Request, { params }: { params: Promise<{ projectId: string; conversationId: string }> }) {
  const { projectId, conversationId } = await params;
  return withApiKey(req, projectId, ({ db, key }) => deleteFeedbackConversationFromRequest(db, req, { projectId, externalId: conversationId, apiKeyId: key.keyId, ownerId: key.ownerId }), "write");
}
