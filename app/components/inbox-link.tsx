"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../trpc/client";

/** "Reviews" in the header, with the number of reviews of the user's work they have not seen. */
export function InboxLink() {
  const trpc = useTRPC();
  const unread = useQuery({ ...trpc.inbox.unread.queryOptions(), refetchInterval: 60_000 });
  const count = unread.data?.count ?? 0;
  return (
    <Link href="/inbox" className="inline-flex items-center gap-1.5">
      Reviews
      {count > 0 && (
        <span data-testid="inbox-unread" aria-label={`${count} unread`} className="rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white">
          {count}
        </span>
      )}
    </Link>
  );
}
