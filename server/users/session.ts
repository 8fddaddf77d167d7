import { defaultSessionLifetimes, sessionLifetimesOf, type Auth } from "../auth";
import { isRole, type Role } from "./roles";

export type SessionUser = { id: string; email: string; name: string; role: Role; mustChangePassword: boolean; redTeamer: boolean };

/**
 * The signed-in user behind these request headers; null when anonymous, unknown, deactivated, or
 * signed in longer ago than the absolute session lifetime (that session is then ended).
 */
export async function getSessionUser(auth: Auth, headers: Headers, now = new Date()): Promise<SessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (session) {
    const { absoluteSeconds } = sessionLifetimesOf.get(auth) ?? defaultSessionLifetimes;
    if (now.getTime() - new Date(session.session.createdAt).getTime() > absoluteSeconds * 1000) {
      await (await auth.$context).internalAdapter.deleteSession(session.session.token);
      return null;
    }
  }
  const u = session?.user;
  if (!u || u.active === false || !isRole(u.role)) return null;
  return { id: u.id, email: u.email, name: u.name, role: u.role, mustChangePassword: u.mustChangePassword === true, redTeamer: u.redTeamer === true };
}
