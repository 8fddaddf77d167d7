"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPC } from "../../trpc/client";
import type { SubmitLabels } from "./check-draft";
import { SessionBar } from "./session-bar";
import { TaskScreen, type SubmitRequest } from "./task-screen";
import type { AssignmentView } from "./types";
import { clearDraft, draftsOfProject } from "./use-draft";
import { classifyError, useSubmission } from "./use-submission";

type Phase = { kind: "loading" } | { kind: "task"; task: AssignmentView } | { kind: "done" } | { kind: "error"; message: string };
type Notice = { tone: "ok" | "warn"; text: string; id: number };

/**
 * The annotator's loop: lease a task, label it, submit (which returns the next task in the same
 * round trip), repeat. Drafts live in localStorage until the server acknowledges them.
 */
export function LabellingSession({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const summary = projects.data?.find((p) => p.id === projectId);
  const { mutateAsync: fetchNext } = useMutation(trpc.annotation.next.mutationOptions());
  const { mutateAsync: resendOrphan } = useMutation(trpc.annotation.submit.mutationOptions({ retry: false }));
  const submission = useSubmission();
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [notice, setNotice] = useState<Notice | null>(null);
  const orphansChecked = useRef(false);

  /**
   * Re-reads progress. A read still in flight may have counted before the lease just taken existed,
   * and an invalidation during a query's first fetch joins that fetch instead of starting a new one,
   * so the in-flight read is cancelled first.
   */
  const refreshProgress = useCallback(async () => {
    const queryKey = trpc.projects.list.queryKey();
    await queryClient.cancelQueries({ queryKey });
    await queryClient.invalidateQueries({ queryKey });
  }, [queryClient, trpc]);

  const say = useCallback((tone: Notice["tone"], text: string) => setNotice({ tone, text, id: Date.now() }), []);
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), notice.tone === "ok" ? 3000 : 8000);
    return () => clearTimeout(timer);
  }, [notice]);

  /**
   * Drafts of other tasks in this project: a sent-but-unacknowledged submit is sent again (same
   * idempotency key, so at most one annotation); any other draft belongs to a lease that has
   * ended, so it can no longer be submitted.
   */
  const settleOrphans = useCallback(
    (current: AssignmentView | null) => {
      if (orphansChecked.current) return;
      orphansChecked.current = true;
      for (const draft of draftsOfProject(projectId)) {
        if (draft.assignmentId === current?.assignmentId) continue;
        if (!draft.pendingSubmit) {
          clearDraft(draft.assignmentId);
          continue;
        }
        void resendOrphan({
          assignmentId: draft.assignmentId,
          idempotencyKey: draft.idempotencyKey,
          labels: draft.pendingSubmit.labels as SubmitLabels,
          timeSpentMs: draft.pendingSubmit.timeSpentMs,
          includeNext: false,
        }).then(
          () => {
            clearDraft(draft.assignmentId);
            void refreshProgress();
          },
          (err: unknown) => {
            if (classifyError(err).kind !== "transient") clearDraft(draft.assignmentId);
          },
        );
      }
    },
    [projectId, resendOrphan, refreshProgress],
  );

  const show = useCallback(
    (task: AssignmentView | null) => {
      setPhase(task ? { kind: "task", task } : { kind: "done" });
      settleOrphans(task);
      window.scrollTo({ top: 0 });
      // "Remaining" must count the lease just taken, so progress is re-read once it exists.
      void refreshProgress();
    },
    [settleOrphans, refreshProgress],
  );

  const loadNext = useCallback(() => {
    setPhase({ kind: "loading" });
    fetchNext({ projectId }).then(show, (err: unknown) => setPhase({ kind: "error", message: classifyError(err).message }));
  }, [fetchNext, projectId, show]);

  const started = useRef(false);
  useEffect(() => {
    // The next lease is the live one after a reload, so asking twice would be harmless; once is enough.
    if (started.current) return;
    started.current = true;
    fetchNext({ projectId }).then(show, (err: unknown) => setPhase({ kind: "error", message: classifyError(err).message }));
  }, [fetchNext, projectId, show]);

  const onSubmit = async (task: AssignmentView, request: SubmitRequest) => {
    const outcome = await submission.submit({ assignmentId: task.assignmentId, ...request, includeNext: true });
    switch (outcome.kind) {
      case "accepted":
        clearDraft(task.assignmentId);
        say("ok", `Submitted${outcome.pairs ? ` — ${outcome.pairs} preference pair${outcome.pairs > 1 ? "s" : ""}` : ""}.`);
        show(outcome.next);
        return "accepted" as const;
      case "gone":
        clearDraft(task.assignmentId);
        say("warn", `${outcome.message} Loading the next task.`);
        loadNext();
        return "other" as const;
      case "rejected":
        return "rejected" as const;
      case "cancelled":
        return "other" as const;
    }
  };

  const projectName = summary?.name ?? (phase.kind === "task" ? phase.task.project.name : "Labelling");
  return (
    <div className="label-bleed">
      {phase.kind === "task" ? (
        <TaskScreen
          key={phase.task.assignmentId}
          task={phase.task}
          summary={summary}
          submitStatus={submission.status}
          onSubmit={(request) => onSubmit(phase.task, request)}
          onRetryNow={submission.retryNow}
          onClearRejection={submission.clearRejection}
          onLeave={(text) => {
            clearDraft(phase.task.assignmentId);
            say("ok", text);
            loadNext();
          }}
        />
      ) : (
        <>
          <SessionBar projectName={projectName} summary={summary} hasTask={false} />
          {phase.kind === "loading" && <LoadingTask />}
          {phase.kind === "done" && (
            <div className="mx-auto mt-16 max-w-md space-y-3 text-center" data-testid="no-more-tasks">
              <h2>Nothing left for you here</h2>
              <p className="text-sm text-slate-600">Every task in this project that you may label is done or taken. Thank you!</p>
              <Link href="/queue" className="btn-primary inline-flex">
                Back to the queue
              </Link>
            </div>
          )}
          {phase.kind === "error" && (
            <div className="mx-auto mt-16 max-w-md space-y-3 text-center">
              <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">
                {phase.message}
              </p>
              <button type="button" className="btn" onClick={loadNext}>
                Try again
              </button>
            </div>
          )}
        </>
      )}
      {notice && (
        <div
          key={notice.id}
          role="status"
          data-testid="session-notice"
          className={`fixed bottom-4 left-4 z-50 max-w-md rounded-md px-4 py-2 text-sm shadow-lg ${
            notice.tone === "ok" ? "bg-slate-900 text-white" : "bg-amber-100 text-amber-950 ring-1 ring-amber-300"
          }`}
        >
          {notice.text}
        </div>
      )}
    </div>
  );
}

/** Same footprint as a task, so the page does not jump when it arrives. */
function LoadingTask() {
  return (
    <div className="mt-4 flex animate-pulse flex-col gap-4 lg:flex-row" aria-busy="true" aria-label="Loading the next task">
      <div className="min-w-0 flex-1 space-y-4">
        <div className="h-24 rounded-lg bg-slate-200/70" />
        <div className="grid grid-cols-2 gap-3">
          <div className="h-80 rounded-lg bg-slate-200/70" />
          <div className="h-80 rounded-lg bg-slate-200/70" />
        </div>
      </div>
      <div className="h-[28rem] rounded-lg bg-slate-200/70 lg:w-[24rem]" />
    </div>
  );
}
