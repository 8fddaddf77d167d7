import { redirect } from "next/navigation";
import { getEnv } from "../../server/env";
import { getOptionalUser } from "../../server/users/current-user";
import { safeRedirectPath } from "../../server/users/safe-redirect";
import { SignInForm } from "./sign-in-form";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only paths of this app: never bounce a user to another origin after sign-in.
  const target = safeRedirectPath(next, getEnv().APP_URL);
  if (await getOptionalUser()) redirect(target);
  return (
    <div className="mx-auto max-w-sm space-y-6">
      <h1>Sign in</h1>
      <SignInForm next={target} />
    </div>
  );
}
