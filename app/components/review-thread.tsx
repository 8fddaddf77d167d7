"use client";

import { useState } from "react";
import { dateTime } from "./format";
import { ErrorText } from "./panel";

export type ThreadMessage = { id: string; fromAnnotator: boolean; authorId: string | null; author: string | null; body: string; createdAt: Date };

const maxLength = 2000;

/** The questions an annotator asked about a review and the reviewers' replies, oldest first. */
export function ReviewThread({ thread, isYours }: { thread: ThreadMessage[]; isYours: (m: ThreadMessage) => boolean }) {
  if (thread.length === 0) return null;
  return (
    <ol className="space-y-2" aria-label="Questions and replies" data-testid="review-thread">
      {thread.map((m) => {
        const who = isYours(m) ? "You" : (m.author ?? (m.fromAnnotator ? "The annotator" : "A reviewer"));
        return (
          <li
            key={m.id}
            data-testid="thread-message"
            className={`rounded-md px-3 py-2 text-sm ${m.fromAnnotator ? "bg-slate-100 text-slate-800" : "border-l-4 border-indigo-300 bg-indigo-50 text-indigo-950"}`}
          >
            <p className="text-xs text-slate-500">
              <span className="font-medium text-slate-700">{who}</span>
              {m.fromAnnotator ? " asked" : " replied"} · {dateTime(m.createdAt)}
            </p>
            <p className="whitespace-pre-wrap break-words">{m.body}</p>
          </li>
        );
      })}
    </ol>
  );
}

/** One text box and a button: a question from the inbox, a reply from the review console. */
export function MessageForm({
  label,
  submitLabel,
  placeholder,
  pending,
  error,
  onSend,
}: {
  label: string;
  submitLabel: string;
  placeholder?: string;
  pending: boolean;
  error: string | null | undefined;
  onSend: (body: string, clear: () => void) => void;
}) {
  const [body, setBody] = useState("");
  const [tooShort, setTooShort] = useState(false);
  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (!body.trim()) return setTooShort(true);
        onSend(body.trim(), () => setBody(""));
      }}
    >
      <label className="block space-y-1 text-sm">
        <span className="font-medium">{label}</span>
        <textarea
          className="block w-full rounded border border-slate-300 px-2 py-1.5"
          rows={3}
          maxLength={maxLength}
          placeholder={placeholder}
          value={body}
          onChange={(e) => {
            setBody(e.target.value);
            setTooShort(false);
          }}
        />
      </label>
      {tooShort && (
        <p role="alert" className="text-sm text-red-700">
          Write something first.
        </p>
      )}
      <ErrorText message={error} />
      <button type="submit" className="btn" disabled={pending}>
        {pending ? "Sending…" : submitLabel}
      </button>
    </form>
  );
}
