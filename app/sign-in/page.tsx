import { redirect } from "next/navigation";
import { getOptionalUser } from "../../server/users/current-user";
import { SignInForm } from "./sign-in-form";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only same-site paths: never bounce a user to another origin after sign-in.
  const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  if (await getOptionalUser()) redirect(target);
  return (
    <div className="mx-auto max-w-sm space-y-6">
      <h1>Sign in</h1>
      <SignInForm next={target} />
    </div>
  );
}
