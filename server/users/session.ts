import type { Auth } from "../auth";
import { isRole, type Role } from "./roles";

export type SessionUser = { id: string; email: string; name: string; role: Role };

/** The signed-in user behind these request headers; null when anonymous, unknown or deactivated. */
export async function getSessionUser(auth: Auth, headers: Headers): Promise<SessionUser | null> {
  const session = await auth.api.getSession({ headers });
  const u = session?.user;
  if (!u || u.active === false || !isRole(u.role)) return null;
  return { id: u.id, email: u.email, name: u.name, role: u.role };
}
