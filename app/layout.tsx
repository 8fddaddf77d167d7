import type { Metadata } from "next";
import Link from "next/link";
import { canUsePlayground } from "../server/serving/served-models";
import { getOptionalUser } from "../server/users/current-user";
import { accessAllows, roleAllows } from "../server/users/roles";
import { InboxLink } from "./components/inbox-link";
import { SignOutButton } from "./components/sign-out-button";
import { TRPCReactProvider } from "./trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: "RLHF Studio",
  description: "Collect human preferences, train reward models and policies, in one loop.",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const user = await getOptionalUser();
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>
          <header className="border-b border-slate-200 bg-white">
            <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-6 py-3">
              <Link href="/" className="whitespace-nowrap font-semibold">
                RLHF Studio
              </Link>
              {user && <Link href="/queue">Labelling</Link>}
              {user && <InboxLink />}
              {user && roleAllows(user.role, "reviewer") && (
                <>
                  <Link href="/admin/projects">Projects</Link>
                  <Link href="/review">Review</Link>
                </>
              )}
              {user && canUsePlayground(user) && <Link href="/playground">Playground</Link>}
              {user && accessAllows(user, "red_teamer") && <Link href="/red-team">Red team</Link>}
              {user?.role === "admin" && <Link href="/admin/runs">Runs</Link>}
              {user?.role === "admin" && <Link href="/admin/models">Models</Link>}
              {user?.role === "admin" && <Link href="/admin">Admin</Link>}
              <div className="ml-auto flex items-center gap-3 text-sm">
                {user ? (
                  <>
                    <span data-testid="current-user">
                      {user.email} · {user.role}
                    </span>
                    <SignOutButton />
                  </>
                ) : (
                  <Link href="/sign-in">Sign in</Link>
                )}
              </div>
            </nav>
          </header>
          <main className="mx-auto max-w-6xl px-6 py-8">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
