import { getAuth } from "../../../../../server/auth";
import { getDb } from "../../../../../server/db";
import { AppError, errorStatus } from "../../../../../server/errors";
import { importFromRequest } from "../../../../../server/import/http";
import { roleAllows } from "../../../../../server/users/roles";
import { getSessionUser } from "../../../../../server/users/session";

function fail(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}

/** Streaming JSONL upload for the console (signed-in admins): POST the file as the body. */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const user = await getSessionUser(getAuth(), req.headers);
  if (!user) return fail(401, "UNAUTHORIZED", "Sign in to continue.");
  if (!roleAllows(user.role, "admin")) return fail(403, "FORBIDDEN", "This needs the admin role.");
  const { projectId } = await params;
  try {
    return await importFromRequest(getDb(), req, { projectId, createdById: user.id });
  } catch (err) {
    if (err instanceof AppError) return fail(errorStatus(err.code), err.code, err.message);
    throw err;
  }
}
