"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { QualityFlag, RubricGrade } from "../../../server/annotation/submission";
import { dateTime, duration } from "../../components/format";
import { ModalDialog } from "../../components/modal-dialog";
import { ErrorText } from "../../components/panel";
import { ReviewStateBadge } from "../../components/review-state-badge";
import { MessageForm, ReviewThread } from "../../components/review-thread";
import { ConversationView } from "../../label/[projectId]/conversation-view";
import { policyText } from "../../label/[projectId]/safety-labels";
import { useTRPC } from "../../trpc/client";
import { useRememberedQueue } from "../queue-memory";
import type { ReviewItem } from "../types";
import { correctInput, correctionFrom, correctionProblems, withLetters, type Correction } from "./correction";
import { CorrectionEditor } from "./correction-editor";
import { RankingSummary } from "./ranking-summary";
import { ReviewResponseCard } from "./review-response-card";

type Viewer = { id: string; isAdmin: boolean };

const verdictText: Record<string, string> = { a_better: "A is better", b_better: "B is better", tie: "Tie", both_bad: "Both are bad" };

function PolicyLine({ policy, harmCategory }: { policy: string | null; harmCategory: string | null }) {
  const label = policy && policy in policyText ? policyText[policy as keyof typeof policyText].label : (policy ?? "–");
  const tone = policy === "disallowed" ? "bg-red-100 text-red-800" : policy === "sensitive" ? "bg-amber-100 text-amber-800" : "bg-green-100 text-green-800";
  return (
    <span className="flex flex-wrap items-center gap-1.5 text-sm">
      <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${tone}`}>{label}</span>
      {harmCategory && <span className="text-slate-700">{harmCategory}</span>}
    </span>
  );
}

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId?: string }) {
  return (
    <section className="space-y-2" data-testid={testId}>
      <h3 className="section-title">{title}</h3>
      {children}
    </section>
  );
}

function RejectDialog({ open, onClose, onReject, pending, error }: { open: boolean; onClose: () => void; onReject: (reason: string) => void; pending: boolean; error: string | null }) {
  const [reason, setReason] = useState("");
  return (
    <ModalDialog open={open} onClose={onClose} title="Reject this annotation">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) onReject(reason.trim());
        }}
      >
        <p className="text-sm text-slate-600">Its preference pairs are removed and the task goes back to the pool for another annotator. The annotator sees your reason.</p>
        <label className="block text-sm">
          Reason
          <textarea
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            required
            maxLength={2000}
            rows={3}
            autoFocus
            className="mt-1 block w-full rounded-md border border-slate-300 p-2 text-sm"
          />
        </label>
        <ErrorText message={error} />
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn-danger" disabled={pending || !reason.trim()}>
            {pending ? "Rejecting…" : "Reject annotation"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

export function ReviewScreen({ annotationId, viewer }: { annotationId: string; viewer: Viewer }) {
  const trpc = useTRPC();
  const queue = useRememberedQueue();
  const item = useQuery(trpc.review.get.queryOptions({ annotationId }));
  const at = queue.ids.indexOf(annotationId);
  const nextId = at >= 0 ? queue.ids[at + 1] : undefined;

  return (
    <>
      <nav className="flex items-center justify-between gap-3 text-sm">
        <Link href={queue.href} className="text-slate-500 hover:text-slate-800">
          ← Review queue
        </Link>
        {nextId && (
          <Link href={`/review/${nextId}`} className="text-slate-500 hover:text-slate-800">
            Next in queue →
          </Link>
        )}
      </nav>
      {item.error ? (
        <ErrorText message={item.error.message} />
      ) : item.data ? (
        <ReviewBody key={item.data.id} item={item.data} viewer={viewer} queueHref={queue.href} nextId={nextId} />
      ) : (
        <p className="text-sm text-slate-500">Loading the annotation…</p>
      )}
    </>
  );
}

function ReviewBody({ item, viewer, queueHref, nextId }: { item: ReviewItem; viewer: Viewer; queueHref: string; nextId: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [correction, setCorrection] = useState<Correction | null>(null);
  const [showProblems, setShowProblems] = useState(false);

  const say = setDone;
  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.review.pathKey() }),
      // Review states, agreement and the annotator table move with every review.
      queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() }),
    ]);
  };
  const accept = useMutation(trpc.review.accept.mutationOptions({ onSuccess: async () => (say("Accepted."), await refresh()) }));
  const reply = useMutation(trpc.review.reply.mutationOptions({ onSuccess: refresh }));
  const reject = useMutation(
    trpc.review.reject.mutationOptions({
      onSuccess: async () => {
        setRejecting(false);
        say("Rejected: the task went back to the pool.");
        await refresh();
      },
    }),
  );
  const correct = useMutation(
    trpc.review.correct.mutationOptions({
      onSuccess: async (res) => {
        setCorrection(null);
        setShowProblems(false);
        say(`Corrected: ${res.pairs} preference pair${res.pairs === 1 ? "" : "s"} derived again.`);
        await refresh();
      },
    }),
  );
  const gold = useMutation(
    trpc.projects.markGold.mutationOptions({
      onSuccess: async (res) => {
        say(res.isGold ? "This task is now a gold item with this ranking as its answer." : "The task is no longer a gold item.");
        await refresh();
      },
    }),
  );

  const labelOf = new Map(item.responses.map((r) => [r.id, r.label]));
  const pairwise = item.project.mode === "pairwise";
  const own = item.annotatorId === viewer.id;
  const rejected = item.reviewState === "rejected";
  const busy = accept.isPending || reject.isPending || correct.isPending;
  const actionError = accept.error?.message ?? correct.error?.message ?? gold.error?.message;
  const problems = correction ? correctionProblems(item, correction) : [];

  // What the cards show: the correction while it is open, else what was submitted.
  const shown = correction ?? correctionFrom(item);
  const rankOf = new Map<string, string>();
  shown.groups.forEach((g, i) => g.forEach((id) => rankOf.set(id, g.length > 1 ? `Tied · rank ${i + 1}` : `Rank ${i + 1}`)));
  const statusOf = (id: string) => {
    if (pairwise) {
      const v = shown.verdict;
      if (!v) return "No verdict";
      if (v === "tie" || v === "both_bad") return verdictText[v]!;
      return (v === "a_better") === (id === item.responses[0]?.id) ? "Better" : "Worse";
    }
    return rankOf.get(id) ?? "Not ranked";
  };

  const update = (change: (c: Correction) => Partial<Correction>) => setCorrection((c) => (c ? { ...c, ...change(c) } : c));
  const save = () => {
    if (!correction) return;
    if (problems.length) return setShowProblems(true);
    correct.mutate(correctInput(item, correction));
  };

  const goldAnswer = item.goldAnswer as { ranking?: string[][]; promptPolicy?: string | null } | null;

  return (
    <div className="space-y-4" data-testid="review-screen">
      <header className="space-y-1">
        <div className="flex flex-wrap items-center gap-3">
          <h1>Review annotation</h1>
          <span className="text-base">
            <ReviewStateBadge state={item.reviewState} />
          </span>
          {item.isGold && <span className="rounded bg-yellow-100 px-1.5 py-0.5 text-xs font-medium text-yellow-800">gold task</span>}
        </div>
        <p className="text-sm text-slate-600">
          <Link href={`/admin/projects/${item.project.id}`} className="text-blue-700 hover:underline">
            {item.project.name}
          </Link>{" "}
          · by <span className="font-medium">{item.annotatorName ?? "(imported)"}</span> · {dateTime(item.createdAt)} · time spent {duration(item.timeSpentMs)} · task{" "}
          <Link href={`/review?taskId=${item.taskId}&state=any`} className="font-mono text-blue-700 hover:underline" title="All annotations of this task">
            {item.taskId.slice(0, 8)}
          </Link>
        </p>
        {item.reviewedByName && (
          <p className="text-sm text-slate-600">
            Reviewed by {item.reviewedByName}
            {item.reviewNote && <>: “{item.reviewNote}”</>}
          </p>
        )}
      </header>

      {item.thread.length > 0 && (
        <section aria-label="The annotator's questions" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="annotator-questions">
          <h3 className="section-title">
            {item.questionOpen ? "The annotator asks about this review" : "Questions about this review"}
          </h3>
          <ReviewThread thread={item.thread} isYours={(m) => m.authorId === viewer.id} />
          {!own && (
            <MessageForm
              label={item.questionOpen ? "Your reply" : "Another reply"}
              submitLabel="Send reply"
              pending={reply.isPending}
              error={reply.error?.message}
              onSend={(body, clear) => reply.mutate({ annotationId: item.id, body }, { onSuccess: clear })}
            />
          )}
        </section>
      )}

      {done && (
        <div role="status" className="flex flex-wrap items-center gap-3 rounded-md bg-green-50 px-3 py-2 text-sm text-green-900" data-testid="review-done">
          <span>
            {done} Now <ReviewStateBadge state={item.reviewState} />
          </span>
          <span className="ml-auto flex gap-3">
            <Link href={queueHref} className="font-medium underline">
              Back to the queue
            </Link>
            {nextId && (
              <Link href={`/review/${nextId}`} className="font-medium underline">
                Next annotation →
              </Link>
            )}
          </span>
        </div>
      )}
      {own && (
        <p role="note" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="own-work">
          You cannot review your own work: another reviewer has to accept, reject or correct it.
        </p>
      )}
      <ErrorText message={actionError ? withLetters(actionError, item) : null} />

      <div className="flex flex-col gap-4 lg:flex-row lg:items-start">
        <div className="min-w-0 flex-1 space-y-4">
          <ConversationView messages={item.prompt.messages} />
          <section aria-label="Responses, in the order the annotator saw them" className="grid grid-cols-1 gap-3 xl:grid-cols-2">
            {item.responses.map((r) => (
              <ReviewResponseCard
                key={r.id}
                response={r}
                status={statusOf(r.id)}
                grade={shown.rubric[r.id]}
                flags={shown.flags[r.id] ?? []}
                edit={
                  correction
                    ? {
                        rubricRequired: correction.promptPolicy !== "allowed",
                        onGrade: (g: RubricGrade) => update((c) => ({ rubric: { ...c.rubric, [r.id]: g } })),
                        onToggleFlag: (f: QualityFlag) =>
                          update((c) => {
                            const list = c.flags[r.id] ?? [];
                            return { flags: { ...c.flags, [r.id]: list.includes(f) ? list.filter((x) => x !== f) : [...list, f] } };
                          }),
                      }
                    : undefined
                }
              />
            ))}
          </section>
        </div>

        <aside
          aria-label="Judgement"
          className="shrink-0 space-y-5 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:w-[24rem] lg:overflow-y-auto"
        >
          {correction ? (
            <CorrectionEditor
              item={item}
              correction={correction}
              onChange={update}
              problems={problems}
              showProblems={showProblems}
              error={correct.error ? withLetters(correct.error.message, item) : null}
              saving={correct.isPending}
              onSave={save}
              onCancel={() => {
                setCorrection(null);
                setShowProblems(false);
                correct.reset();
              }}
            />
          ) : (
            <>
              <Section title={pairwise ? "Verdict" : "Ranking, best first"} testId="annotator-ranking">
                {pairwise ? (
                  <p className="text-sm font-medium">{item.labels.verdict ? verdictText[item.labels.verdict] : "–"}</p>
                ) : (
                  <RankingSummary groups={item.labels.ranking.groups} strengths={item.labels.ranking.strengths} labelOf={labelOf} testId="ranking-summary" />
                )}
              </Section>
              <Section title="Prompt safety">
                <PolicyLine policy={item.labels.promptPolicy} harmCategory={item.labels.harmCategory} />
              </Section>
              <Section title="Rationale">
                {item.labels.rationale ? (
                  <p className="whitespace-pre-wrap break-words text-sm text-slate-700">{item.labels.rationale}</p>
                ) : (
                  <p className="text-sm text-slate-400">None given</p>
                )}
              </Section>

              <div className="space-y-2 border-t border-slate-200 pt-4">
                <div className="flex flex-wrap gap-2">
                  <button type="button" className="btn-primary" disabled={own || rejected || busy} onClick={() => accept.mutate({ annotationId: item.id })}>
                    {accept.isPending ? "Accepting…" : "Accept"}
                  </button>
                  <button
                    type="button"
                    className="btn"
                    disabled={own || rejected || busy}
                    onClick={() => {
                      setCorrection(correctionFrom(item));
                      setDone(null);
                    }}
                  >
                    Correct…
                  </button>
                  <button type="button" className="btn text-red-700" disabled={own || rejected || busy} onClick={() => setRejecting(true)}>
                    Reject…
                  </button>
                </div>
                {rejected && <p className="text-xs text-slate-500">A rejected annotation is final: its slot went back to the pool.</p>}
                {viewer.isAdmin && (
                  <div className="flex flex-wrap gap-2 pt-1">
                    <button
                      type="button"
                      className="btn"
                      disabled={gold.isPending || rejected}
                      title="Make this task a gold item whose expected answer is this ranking and prompt policy"
                      onClick={() =>
                        gold.mutate({ taskId: item.taskId, answer: { ranking: item.labels.ranking.groups, promptPolicy: item.labels.promptPolicy as "allowed" | "sensitive" | "disallowed" | null } })
                      }
                    >
                      {item.isGold ? "Use as gold answer instead" : "Use as gold answer"}
                    </button>
                    {item.isGold && (
                      <button type="button" className="btn" disabled={gold.isPending} onClick={() => gold.mutate({ taskId: item.taskId, answer: null })}>
                        Unmark gold
                      </button>
                    )}
                  </div>
                )}
              </div>

              {item.goldAnswerHidden && (
                <Section title="Gold answer" testId="gold-answer">
                  <p className="text-sm text-slate-500">Hidden: you can still label this gold item yourself, and it would score you on an answer you had seen.</p>
                </Section>
              )}
              {goldAnswer?.ranking && (
                <Section title="Gold answer" testId="gold-answer">
                  <RankingSummary groups={goldAnswer.ranking} labelOf={labelOf} />
                  {goldAnswer.promptPolicy && <PolicyLine policy={goldAnswer.promptPolicy} harmCategory={null} />}
                </Section>
              )}

              <Section title={`Other annotators (${item.others.length})`} testId="other-annotations">
                {item.others.length === 0 ? (
                  <p className="text-sm text-slate-400">Nobody else has labelled this task.</p>
                ) : (
                  <ul className="space-y-3">
                    {item.others.map((o) => (
                      <li key={o.id} className="space-y-1 rounded-md border border-slate-200 p-2">
                        <div className="flex items-center gap-2 text-sm">
                          <Link href={`/review/${o.id}`} className="font-medium text-blue-700 hover:underline">
                            {o.annotatorName ?? "(imported)"}
                          </Link>
                          <ReviewStateBadge state={o.reviewState} />
                        </div>
                        <RankingSummary groups={o.ranking} labelOf={labelOf} />
                        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                          <PolicyLine policy={o.promptPolicy} harmCategory={null} />
                          {Object.keys(o.rubric).length > 0 && (
                            <span className="text-xs text-slate-600" title="Safety rubric per response">
                              rubric{" "}
                              {item.responses
                                .filter((r) => o.rubric[r.id])
                                .map((r) => `${r.label}:${o.rubric[r.id]}`)
                                .join(" ")}
                            </span>
                          )}
                        </div>
                      </li>
                    ))}
                  </ul>
                )}
                {item.others.length > 0 && <p className="text-xs text-slate-500">Letters as on this page, whatever order the others saw.</p>}
              </Section>
            </>
          )}
        </aside>
      </div>

      <RejectDialog
        open={rejecting}
        onClose={() => setRejecting(false)}
        pending={reject.isPending}
        error={reject.error?.message ?? null}
        onReject={(reason) => reject.mutate({ annotationId: item.id, reason })}
      />
    </div>
  );
}
