// The frame of the console's own routes (downloads and uploads a page links to): the session cookie,
// the role, membership of the project, and errors answered like every other route.
import { getAuth } from "../auth";
import { getDb, type Db } from "../db";
import { assertProjectAccess } from "../projects/membership";
import { assertStorable } from "../text/storable";
import { roleAllows, type Role } from "../users/roles";
import { getSessionUser, type SessionUser } from "../users/session";
import { errorResponse, routeErrorResponse } from "./errors";

/** A signed-in user's route (any role: `handle` checks what it needs), errors answered like every other route. */
export async function withSession(req: Request, handle: (ctx: { db: Db; user: SessionUser }) => Promise<Response>): Promise<Response> {
  try {
    const user = await getSessionUser(getAuth(), req.headers);
    if (!user) return errorResponse(401, "UNAUTHORIZED", "Sign in to continue.");
    if (user.mustChangePassword) return errorResponse(403, "FORBIDDEN", "Choose your own password first: the one you signed in with was generated (Account → Password).");
    assertStorable(Object.fromEntries(new URL(req.url).searchParams), "query");
    return await handle({ db: getDb(), user });
  } catch (err) {
    return routeErrorResponse(err, req);
  }
}

export async function withSessionOnProject(
  req: Request,
  projectId: string,
  role: Role,
  handle: (ctx: { db: Db; user: SessionUser }) => Promise<Response>,
): Promise<Response> {
  return withSession(req, async ({ db, user }) => {
    if (!roleAllows(user.role, role)) return errorResponse(403, "FORBIDDEN", `This needs the ${role} role.`);
    assertStorable(projectId, "projectId");
    await assertProjectAccess(db, user, projectId);
    return handle({ db, user });
  });
}
