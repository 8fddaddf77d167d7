import { importFromRequest } from "../../../../../server/import/http";
import { withSessionOnProject } from "../../../../../server/http/session-route";

/** Streaming JSONL upload for the console (signed-in admins): POST the file as the body. */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withSessionOnProject(req, projectId, "admin", ({ db, user }) => importFromRequest(db, req, { projectId, createdById: user.id }));
}
