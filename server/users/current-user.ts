import "server-only";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { getAuth } from "../auth";
import { accessAllows, type Access } from "./roles";
import { getSessionUser, type SessionUser } from "./session";

export const changePasswordPath = "/account/password";

/**
 * For server components: the signed-in user, or a redirect to sign-in; a user whose password was
 * generated is sent to choose their own first.
 */
export async function requireUser(nextPath: string): Promise<SessionUser> {
  const user = await getOptionalUser();
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(nextPath)}`);
  if (user.mustChangePassword && !nextPath.startsWith(changePasswordPath)) redirect(`${changePasswordPath}?next=${encodeURIComponent(nextPath)}`);
  return user;
}

/** Like requireUser, and a 403 page when the role is not enough. */
export async function requireRole(required: Exclude<Access, "public">, nextPath: string): Promise<SessionUser> {
  const user = await requireUser(nextPath);
  if (!accessAllows(user, required)) forbidden();
  return user;
}

export async function getOptionalUser(): Promise<SessionUser | null> {
  // headers() first: it marks the page dynamic, so `next build` never reaches the database.
  const requestHeaders = await headers();
  return getSessionUser(getAuth(), requestHeaders);
}
