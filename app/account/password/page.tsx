import type { Metadata } from "next";
import { getEnv } from "../../../server/env";
import { changePasswordPath, requireUser } from "../../../server/users/current-user";
import { safeRedirectPath } from "../../../server/users/safe-redirect";
import { ChangePasswordForm } from "./change-password-form";

export const metadata: Metadata = { title: "Password · RLHF Studio" };

export default async function ChangePasswordPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const user = await requireUser(changePasswordPath);
  return (
    <div className="mx-auto max-w-sm space-y-4">
      <h1>Choose your password</h1>
      {user.mustChangePassword && (
        <p className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900" role="note">
          The password you signed in with was generated and shown to someone else: choose your own before you go on.
        </p>
      )}
      <ChangePasswordForm next={safeRedirectPath(next, getEnv().APP_URL)} />
    </div>
  );
}
