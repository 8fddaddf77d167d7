import { withApiKey } from "../../../../../../server/api-keys/http";
import { importFromRequest } from "../../../../../../server/import/http";

/** JSONL upload in the tasks, pairs, hh or kto layout, through the console's parsers. */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  // Recorded as the key owner's import, with the key named.
  return withApiKey(req, projectId, ({ db, key }) => importFromRequest(db, req, { projectId, createdById: key.ownerId, apiKeyId: key.keyId }), "write");
}
