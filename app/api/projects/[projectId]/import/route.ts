import { getAuth } from "../../../../../server/auth";
import { getDb } from "../../../../../server/db";
import { AppError, errorStatus } from "../../../../../server/errors";
import { ZLayout } from "../../../../../server/import/import.schema";
import { importJsonl } from "../../../../../server/import/service";
import { roleAllows } from "../../../../../server/users/roles";
import { getSessionUser } from "../../../../../server/users/session";

function fail(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * Streaming JSONL upload for the console: POST the file as the body.
 * Query: layout=tasks|pairs|hh (default tasks), strict=1, filename=…
 */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const user = await getSessionUser(getAuth(), req.headers);
  if (!user) return fail(401, "UNAUTHORIZED", "Sign in to continue.");
  if (!roleAllows(user.role, "admin")) return fail(403, "FORBIDDEN", "This needs the admin role.");
  const { projectId } = await params;
  const url = new URL(req.url);
  const layout = ZLayout.safeParse(url.searchParams.get("layout") ?? "tasks");
  if (!layout.success) return fail(400, "BAD_REQUEST", "layout must be tasks, pairs or hh");
  if (!req.body) return fail(400, "BAD_REQUEST", "The request body (the JSONL file) is empty");
  try {
    const summary = await importJsonl(getDb(), {
      projectId,
      layout: layout.data,
      strict: url.searchParams.get("strict") === "1" || url.searchParams.get("strict") === "true",
      filename: url.searchParams.get("filename"),
      chunks: req.body as unknown as AsyncIterable<Uint8Array>,
      createdById: user.id,
    });
    // A strict import with bad rows changed nothing: that is the client's error to fix.
    return Response.json(summary, { status: summary.committed ? 200 : 400 });
  } catch (err) {
    if (err instanceof AppError) return fail(errorStatus(err.code), err.code, err.message);
    throw err;
  }
}
