import { getAuth } from "../../../../../server/auth";
import { getDb } from "../../../../../server/db";
import { errorResponse, handleErrors } from "../../../../../server/http/errors";
import { importFromRequest } from "../../../../../server/import/http";
import { assertStorable } from "../../../../../server/text/storable";
import { roleAllows } from "../../../../../server/users/roles";
import { getSessionUser } from "../../../../../server/users/session";

/** Streaming JSONL upload for the console (signed-in admins): POST the file as the body. */
export const POST = handleErrors(async (req: Request, { params }: { params: Promise<{ projectId: string }> }) => {
  const user = await getSessionUser(getAuth(), req.headers);
  if (!user) return errorResponse(401, "UNAUTHORIZED", "Sign in to continue.");
  if (!roleAllows(user.role, "admin")) return errorResponse(403, "FORBIDDEN", "This needs the admin role.");
  const { projectId } = await params;
  assertStorable(projectId, "projectId");
  assertStorable(Object.fromEntries(new URL(req.url).searchParams), "query");
  return importFromRequest(getDb(), req, { projectId, createdById: user.id });
});
