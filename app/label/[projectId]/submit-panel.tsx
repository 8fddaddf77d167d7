"use client";

import { useEffect, useState } from "react";
import type { SubmitStatus } from "./use-submission";

function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  return <>{Math.max(0, Math.ceil((until - now) / 1000))}s</>;
}

export function SubmitPanel({
  problems,
  showProblems,
  serverMessage,
  status,
  onSubmit,
  onRetryNow,
  onWriteBetter,
  demoSaved,
}: {
  problems: string[];
  showProblems: boolean;
  serverMessage: string | null;
  status: SubmitStatus;
  onSubmit: () => void;
  onRetryNow: () => void;
  onWriteBetter: () => void;
  demoSaved: boolean;
}) {
  const busy = status.kind === "sending" || status.kind === "retrying";
  const ready = problems.length === 0;
  return (
    <section className="space-y-2 border-t border-slate-200 pt-4" aria-label="Submit">
      <div className="flex gap-2">
        <button
          type="button"
          data-testid="submit-annotation"
          onClick={onSubmit}
          disabled={busy}
          aria-describedby="submit-problems"
          aria-disabled={!ready}
          title={ready ? undefined : "Not ready: see the list below"}
          className={`btn-primary flex-1 justify-center py-2 ${ready ? "" : "opacity-50"}`}
        >
          {status.kind === "sending" ? "Submitting…" : status.kind === "retrying" ? "Waiting to retry…" : "Submit"}
          {!busy && <kbd className="kbd kbd-dark ml-2">Enter</kbd>}
        </button>
        <button type="button" onClick={onWriteBetter} className="btn" title="Open an editor prefilled with the best response">
          {demoSaved ? "Better answer ✓" : "Write a better answer"}
        </button>
      </div>

      {status.kind === "retrying" && (
        <div role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="submit-retrying">
          Could not reach the server ({status.reason}). Your work is saved in this browser; retrying in <Countdown until={status.retryAt} /> (attempt{" "}
          {status.attempt + 1}).{" "}
          <button type="button" className="pointer-events-auto font-medium underline" onClick={onRetryNow}>
            Retry now
          </button>
        </div>
      )}
      {serverMessage && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" data-testid="submit-error">
          {serverMessage}
        </p>
      )}
      <div id="submit-problems">
        {ready ? (
          <p className="text-xs text-green-700">Ready to submit.</p>
        ) : (
          <>
            <p className={`text-xs font-medium ${showProblems ? "text-red-700" : "text-slate-600"}`}>Before you can submit:</p>
            <ul
              role={showProblems ? "alert" : undefined}
              data-testid="submit-problems"
              className={`list-inside list-disc space-y-0.5 text-xs ${showProblems ? "rounded-md bg-red-50 px-3 py-2 text-red-700" : "text-slate-500"}`}
            >
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </>
        )}
      </div>
    </section>
  );
}
