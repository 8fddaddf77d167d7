"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ErrorText } from "../../components/panel";
import { ReviewStateBadge } from "../../components/review-state-badge";
import { MessageForm, ReviewThread, type ThreadMessage } from "../../components/review-thread";
import { useTRPC } from "../../trpc/client";

const pageSize = 20;

/** The thread about one review, and a way to ask (again). */
function Questions({ annotationId, thread }: { annotationId: string; thread: ThreadMessage[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const ask = useMutation(trpc.inbox.ask.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.inbox.list.queryKey() }) }));
  const waiting = thread.length > 0 && thread[thread.length - 1]!.fromAnnotator;
  return (
    <div className="space-y-2">
      <ReviewThread thread={thread} isYours={(m) => m.fromAnnotator} />
      {waiting && <p className="text-xs text-slate-500">Waiting for a reviewer to reply.</p>}
      {asking ? (
        <MessageForm
          label="Your question to the reviewers"
          submitLabel="Send question"
          placeholder="What is unclear about this review?"
          pending={ask.isPending}
          error={ask.error?.message}
          onSend={(body, clear) =>
            ask.mutate(
              { annotationId, body },
              {
                onSuccess: () => {
                  clear();
                  setAsking(false);
                },
              },
            )
          }
        />
      ) : (
        <button type="button" className="btn-ghost text-sm" onClick={() => setAsking(true)}>
          {thread.length ? "Ask a follow-up question" : "Ask about this review"}
        </button>
      )}
    </div>
  );
}

/** The reviews of the annotator's work; what is on screen is marked seen (the header badge drops). */
export function ReviewInbox() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(0);
  const list = useQuery(trpc.inbox.list.queryOptions({ page, pageSize }));
  const markRead = useMutation(
    trpc.inbox.markRead.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.inbox.unread.queryKey() }) }),
  );
  const unseen = list.data?.items.filter((i) => i.unread).map((i) => i.annotationId) ?? [];
  const unseenKey = unseen.join(",");
  useEffect(() => {
    if (unseenKey) markRead.mutate({ annotationIds: unseenKey.split(",") });
    // Marks each page's unseen items once, when they are shown.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [unseenKey]);

  if (list.error) return <ErrorText message={list.error.message} />;
  if (!list.data) return <p className="text-sm text-slate-500">Loading reviews…</p>;
  const { items, total } = list.data;
  if (total === 0) return <p className="text-sm text-slate-500">No reviews of your work yet. When a reviewer accepts, rejects or corrects a task you labelled, it shows here.</p>;

  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        {total} reviewed task{total === 1 ? "" : "s"}, the latest first. A rejected task went back to the pool; a corrected one now counts with the reviewer&apos;s labels.
      </p>
      <ul className="space-y-3">
        {items.map((item) => (
          <li key={item.annotationId} data-testid="inbox-item" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div className="flex flex-wrap items-center gap-2 text-sm">
              <ReviewStateBadge state={item.state} />
              {item.unread && <span className="rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">new</span>}
              <Link href={`/label/${item.project.id}`} className="font-medium hover:underline">
                {item.project.name}
              </Link>
              <span className="text-slate-500">
                reviewed {item.reviewedAt.toLocaleString()}
                {item.reviewer ? ` by ${item.reviewer}` : ""}
              </span>
            </div>
            <p className="line-clamp-2 whitespace-pre-wrap break-words text-sm text-slate-800">{item.prompt}</p>
            {item.note && (
              <blockquote className="whitespace-pre-wrap break-words border-l-4 border-slate-300 pl-3 text-sm text-slate-700">
                <span className="font-medium">{item.state === "rejected" ? "Why it was rejected: " : "Reviewer's note: "}</span>
                {item.note}
              </blockquote>
            )}
            {item.changes.length > 0 && (
              <table className="text-sm" aria-label="What the reviewer changed">
                <thead className="text-left text-slate-500">
                  <tr>
                    <th className="pr-4 font-medium">Changed</th>
                    <th className="pr-4 font-medium">Yours</th>
                    <th className="font-medium">Corrected to</th>
                  </tr>
                </thead>
                <tbody>
                  {item.changes.map((c) => (
                    <tr key={c.field} data-testid="inbox-change">
                      <td className="pr-4 text-slate-600">{c.field}</td>
                      <td className="pr-4 font-mono text-red-700 line-through decoration-red-300">{c.before}</td>
                      <td className="font-mono text-green-800">{c.after}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {item.changes.length > 0 && (
              <details className="text-sm">
                <summary className="cursor-pointer text-slate-600">The responses, as you saw them</summary>
                <ol className="mt-2 space-y-1">
                  {item.responses.map((r) => (
                    <li key={r.letter} className="whitespace-pre-wrap break-words">
                      <span className="font-mono font-semibold">{r.letter}</span> {r.content}
                    </li>
                  ))}
                </ol>
              </details>
            )}
            <Questions annotationId={item.annotationId} thread={item.thread} />
          </li>
        ))}
      </ul>
      {total > pageSize && (
        <div className="flex items-center gap-3 text-sm">
          <button type="button" className="btn" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer
          </button>
          <span>
            Page {page + 1} of {Math.ceil(total / pageSize)}
          </span>
          <button type="button" className="btn" disabled={(page + 1) * pageSize >= total} onClick={() => setPage(page + 1)}>
            Older
          </button>
        </div>
      )}
    </div>
  );
}
