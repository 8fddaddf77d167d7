"use client";

import { useMutation } from "@tanstack/react-query";
import { useEffect, useEffectEvent, useRef, useState } from "react";
import { strengths, type PairwiseVerdict, type Strength } from "../../../server/annotation/ranking";
import { promptPolicies, rubricGrades, type QualityFlag, type RubricGrade } from "../../../server/annotation/submission";
import { useTRPC } from "../../trpc/client";
import { buildLabels, draftProblems, withLetters, type SubmitLabels } from "./check-draft";
import { ConversationView } from "./conversation-view";
import { DemonstrationEditor } from "./demonstration-editor";
import { GuidelinesDrawer } from "./guidelines-drawer";
import { PairwiseVerdictPicker, verdictOptions } from "./pairwise-verdict";
import { boundaryKey, locate, moveDown, moveUp, placeAt, toggleTie, unplace, type Groups } from "./ranking-state";
import { RankingBoard } from "./ranking-board";
import { ResponsesView } from "./responses-view";
import { SafetyLabels } from "./safety-labels";
import { SessionBar } from "./session-bar";
import { ShortcutsHelp } from "./shortcuts-help";
import { SubmitPanel } from "./submit-panel";
import { ReportDialog, SkipDialog, type ReportReason } from "./task-action-dialogs";
import type { AssignmentView, ProjectSummary } from "./types";
import { handlesKeysNatively, isTextEntry, useShortcuts } from "./use-shortcuts";
import { classifyError, type SubmitStatus } from "./use-submission";
import { newKey, useDraft, type Draft } from "./use-draft";

export type SubmitRequest = { idempotencyKey: string; labels: SubmitLabels; timeSpentMs: number | null };

type Dialog = "help" | "skip" | "report" | "demo" | null;

const maxTimeSpentMs = 24 * 3600_000;

export function TaskScreen({
  task,
  summary,
  submitStatus,
  onSubmit,
  onRetryNow,
  onClearRejection,
  onLeave,
}: {
  task: AssignmentView;
  summary: ProjectSummary | undefined;
  submitStatus: SubmitStatus;
  onSubmit: (request: SubmitRequest) => Promise<"accepted" | "rejected" | "other">;
  onRetryNow: () => void;
  onClearRejection: () => void;
  /** The task was skipped or reported: move on. */
  onLeave: (notice: string) => void;
}) {
  const trpc = useTRPC();
  const [draft, setDraft] = useDraft(task);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [guidelinesOpen, setGuidelinesOpen] = useState(false);
  const [showProblems, setShowProblems] = useState(false);
  const [hint, setHint] = useState<string | null>(null);
  const hintTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const pairwise = task.project.mode === "pairwise";
  const responses = task.responses;
  const letterToId = new Map(responses.map((r) => [r.label.toLowerCase(), r.id]));
  const labelOf = new Map(responses.map((r) => [r.id, r.label]));
  const locked = submitStatus.kind === "sending" || submitStatus.kind === "retrying";
  const problems = draftProblems(draft, task);

  const skip = useMutation(trpc.annotation.skip.mutationOptions());
  const report = useMutation(trpc.annotation.report.mutationOptions());
  const demonstrate = useMutation(trpc.annotation.demonstrate.mutationOptions());

  const update = (change: (d: Draft) => Partial<Draft>) => {
    if (locked) return;
    setDraft((d) => ({ ...d, ...change(d) }));
    onClearRejection();
  };
  const setGroups = (change: (g: Groups) => Groups) => update((d) => ({ groups: change(d.groups) }));
  const setStrength = (key: string, s: Strength) => update((d) => ({ strengths: { ...d.strengths, [key]: s } }));
  const setGrade = (id: string, grade: RubricGrade) => update((d) => ({ rubric: { ...d.rubric, [id]: grade } }));
  const toggleFlag = (id: string, flag: QualityFlag) =>
    update((d) => {
      const current = d.flags[id] ?? [];
      return { flags: { ...d.flags, [id]: current.includes(flag) ? current.filter((f) => f !== flag) : [...current, flag] } };
    });

  const flash = (text: string) => {
    setHint(text);
    if (hintTimer.current) clearTimeout(hintTimer.current);
    hintTimer.current = setTimeout(() => setHint(null), 3500);
  };

  // Keyboard edits move the item in the list; focus follows it so the next key acts on it again.
  const focusResponse = (id: string) => {
    setActiveId(id);
    const focus = () => document.getElementById(pairwise ? `response-card-${id}` : `rank-item-${id}`)?.focus();
    // Now, so a key pressed right after acts on it; and after the re-render, in case the move blurred it.
    focus();
    requestAnimationFrame(() => {
      if (document.activeElement === document.body) focus();
    });
  };

  const submit = async () => {
    if (locked) return;
    if (problems.length > 0) {
      setShowProblems(true);
      return;
    }
    const request: SubmitRequest = {
      idempotencyKey: draft.idempotencyKey,
      labels: buildLabels(draft, task),
      timeSpentMs: Math.min(maxTimeSpentMs, Math.max(0, Date.now() - draft.startedAtMs)),
    };
    setDraft((d) => ({ ...d, pendingSubmit: { labels: request.labels, timeSpentMs: request.timeSpentMs } }));
    const outcome = await onSubmit(request);
    if (outcome === "rejected") setDraft((d) => ({ ...d, pendingSubmit: null }));
  };

  // A draft that still holds a sent submit after a reload was never acknowledged: send it again.
  const resend = useEffectEvent(() => {
    const pending = draft.pendingSubmit;
    if (!pending) return;
    void onSubmit({ idempotencyKey: draft.idempotencyKey, labels: pending.labels as SubmitLabels, timeSpentMs: pending.timeSpentMs }).then((outcome) => {
      if (outcome === "rejected") setDraft((d) => ({ ...d, pendingSubmit: null }));
    });
  });
  useEffect(() => resend(), []);

  const setStrengthAbove = (pick: (current: Strength | undefined) => Strength) => {
    if (!activeId) return flash("Focus a response first: press its letter");
    const loc = locate(draft.groups, activeId);
    if (!loc) return flash("Rank the response first");
    if (loc.group === 0) return flash("The top rank has nothing above it to beat");
    const key = boundaryKey(draft.groups[loc.group - 1]!, draft.groups[loc.group]!);
    const value = pick(draft.strengths[key]);
    setStrength(key, value);
    flash(`Rank ${loc.group} over rank ${loc.group + 1}: ${value}`);
  };

  const onKey = (e: KeyboardEvent) => {
    const target = document.activeElement;
    if (e.key === "Escape") {
      if (guidelinesOpen) setGuidelinesOpen(false);
      else if (isTextEntry(target)) (target as HTMLElement).blur();
      return;
    }
    if (isTextEntry(target)) return;
    const key = e.key;
    const act = () => e.preventDefault();

    if (key === "?") return act(), setDialog((d) => (d === "help" ? null : "help"));
    if (key === "Enter") {
      if (handlesKeysNatively(target)) return;
      return act(), void submit();
    }
    if (locked) return;

    if (e.shiftKey) {
      const code = e.code;
      if (code === "KeyG") return act(), setGuidelinesOpen((o) => !o);
      if (code === "KeyP") {
        act();
        const next = promptPolicies[(draft.promptPolicy ? promptPolicies.indexOf(draft.promptPolicy) + 1 : 0) % promptPolicies.length]!;
        update(() => ({ promptPolicy: next }));
        return flash(`Prompt policy: ${next}`);
      }
      if (code === "KeyH") return act(), document.getElementById("harm-category")?.focus();
      if (code === "KeyR") return act(), document.getElementById("rationale")?.focus();
      const grade = rubricGrades.find((g) => code === `Key${g}`);
      if (grade) {
        act();
        if (!activeId) return flash("Focus a response first: press its letter");
        setGrade(activeId, grade);
        return flash(`Response ${labelOf.get(activeId)}: rubric ${grade}`);
      }
      const digit = /^Digit([1-4])$/.exec(code);
      if (digit && !pairwise) {
        act();
        return setStrengthAbove(() => strengths[Number(digit[1]) - 1]!);
      }
      return;
    }

    if (pairwise) {
      const option = verdictOptions.find((o) => o.key === key);
      if (option) return act(), update(() => ({ verdict: option.value }));
    } else if (/^[1-9]$/.test(key)) {
      act();
      if (!activeId) return flash("Focus a response first: press its letter");
      setGroups((g) => placeAt(g, activeId, Number(key) - 1));
      return focusResponse(activeId);
    }

    const letterId = letterToId.get(key.toLowerCase());
    if (letterId && key.length === 1) return act(), focusResponse(letterId);

    if (pairwise || !activeId) return;
    const id = activeId;
    if (key === "t") {
      act();
      if (!task.project.tiesAllowed) return flash("Ties are not allowed in this project");
      if (!locate(draft.groups, id)) return flash("Rank the response first, then tie it");
      setGroups((g) => toggleTie(g, id));
      return focusResponse(id);
    }
    if (key === "x" || key === "Delete" || key === "Backspace") {
      act();
      setGroups((g) => unplace(g, id));
      return focusResponse(id);
    }
    if (key === "[" || key === "]") {
      act();
      const stronger = key === "]";
      return setStrengthAbove((current) => {
        if (!current) return stronger ? "clear" : "slight";
        const i = strengths.indexOf(current) + (stronger ? 1 : -1);
        return strengths[Math.max(0, Math.min(strengths.length - 1, i))]!;
      });
    }
    if ((key === "ArrowUp" || key === "ArrowDown") && target?.closest("[data-response-id]") && !(target instanceof HTMLInputElement)) {
      act();
      setGroups((g) => (key === "ArrowUp" ? moveUp(g, id) : moveDown(g, id)));
      return focusResponse(id);
    }
  };
  useShortcuts(onKey);

  const rankOf = new Map<string, { rank: number; tied: boolean }>();
  draft.groups.forEach((g, i) => g.forEach((id) => rankOf.set(id, { rank: i + 1, tied: g.length > 1 })));
  const statusOf = (id: string) => {
    if (pairwise) {
      const v = draft.verdict;
      const isA = id === responses[0]?.id;
      if (!v) return "No verdict yet";
      if (v === "tie") return "Tie";
      if (v === "both_bad") return "Both bad";
      return (v === "a_better") === isA ? "Better" : "Worse";
    }
    const r = rankOf.get(id);
    return r ? (r.tied ? `Tied · rank ${r.rank}` : `Rank ${r.rank}`) : "Not ranked";
  };

  const best = (() => {
    if (pairwise) return draft.verdict === "b_better" ? responses[1] : responses[0];
    const topId = draft.groups[0]?.[0];
    return responses.find((r) => r.id === topId) ?? responses[0];
  })();

  // Something is ranked (or a verdict given): only then is there a "best" response to start from.
  const anyRanked = pairwise ? draft.verdict === "a_better" || draft.verdict === "b_better" : draft.groups.length > 0;
  const openDemo = () => {
    if (!draft.demonstration) {
      // The answer saved earlier (another visit, another sign-in) is edited, not started again.
      const saved = task.demonstration;
      const start = saved
        ? { content: saved.content, basedOnResponseId: saved.basedOnResponseId, savedId: saved.id }
        : anyRanked
          ? { content: best?.content ?? "", basedOnResponseId: best?.id ?? null, savedId: null }
          : { content: "", basedOnResponseId: null, savedId: null };
      setDraft((d) => ({ ...d, demonstration: { ...start, idempotencyKey: newKey() } }));
    }
    demonstrate.reset();
    setDialog("demo");
  };
  const saveDemo = () => {
    const demo = draft.demonstration;
    if (!demo) return;
    demonstrate.mutate(
      { assignmentId: task.assignmentId, content: demo.content, basedOnResponseId: demo.basedOnResponseId, idempotencyKey: demo.idempotencyKey },
      { onSuccess: (res) => setDraft((d) => (d.demonstration ? { ...d, demonstration: { ...d.demonstration, savedId: res.id } } : d)) },
    );
  };

  const leave = async (action: () => Promise<unknown>, notice: string) => {
    try {
      await action();
      onLeave(notice);
    } catch (err) {
      // A task that is already gone is as good as skipped.
      if (classifyError(err).kind === "gone") onLeave(notice);
    }
  };

  const serverMessage = submitStatus.kind === "rejected" ? withLetters(submitStatus.message, task) : null;

  return (
    <div data-testid="task" data-assignment-id={task.assignmentId}>
      <SessionBar
        projectName={task.project.name}
        summary={summary}
        hasTask
        clock={{ startedAtMs: draft.startedAtMs, leaseExpiresAt: task.leaseExpiresAt }}
        actions={
          <>
            <button type="button" className="btn-ghost" onClick={() => setGuidelinesOpen((o) => !o)} aria-expanded={guidelinesOpen}>
              Guidelines
            </button>
            <button type="button" className="btn-ghost" onClick={() => setDialog("help")} aria-label="Keyboard shortcuts">
              <kbd className="kbd">?</kbd>
            </button>
            <button type="button" className="btn-ghost" onClick={() => setDialog("skip")}>
              Skip
            </button>
            <button type="button" className="btn-ghost text-red-700" onClick={() => setDialog("report")}>
              Report prompt
            </button>
          </>
        }
      />

      <div className="mt-4 flex flex-col gap-4 lg:flex-row lg:items-start">
        <div className="min-w-0 flex-1 space-y-4">
          <ConversationView messages={task.prompt.messages} />
          <ResponsesView
            responses={responses}
            labels={{
              activeId,
              rubricRequired: draft.promptPolicy !== null && draft.promptPolicy !== "allowed",
              statusOf,
              gradeOf: (id) => draft.rubric[id],
              flagsOf: (id) => draft.flags[id] ?? [],
              onActivate: setActiveId,
              onGrade: setGrade,
              onToggleFlag: toggleFlag,
            }}
          />
        </div>

        <aside
          aria-label="Judgement"
          className={`shrink-0 space-y-5 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:sticky lg:top-14 lg:max-h-[calc(100vh-4.5rem)] lg:w-[24rem] lg:overflow-y-auto ${
            locked ? "pointer-events-none opacity-70" : ""
          }`}
        >
          {pairwise ? (
            <PairwiseVerdictPicker verdict={draft.verdict} onVerdict={(v: PairwiseVerdict) => update(() => ({ verdict: v }))} />
          ) : (
            <section aria-labelledby="ranking-heading" className="space-y-2">
              <div className="flex items-baseline justify-between">
                <h3 id="ranking-heading" className="section-title">
                  Ranking <span className="font-normal normal-case text-slate-400">best first</span>
                </h3>
                <span className="text-xs text-slate-400">drag, or letter then 1–{Math.min(responses.length, 9)}</span>
              </div>
              <RankingBoard
                responses={responses}
                groups={draft.groups}
                chosenStrengths={draft.strengths}
                tiesAllowed={task.project.tiesAllowed}
                activeId={activeId}
                onGroups={(g) => setGroups(() => g)}
                onStrength={setStrength}
                onActivate={setActiveId}
                onToggleTie={(id) => setGroups((g) => toggleTie(g, id))}
                onUnplace={(id) => setGroups((g) => unplace(g, id))}
                onAppend={(id) => setGroups((g) => placeAt(g, id, g.length))}
              />
            </section>
          )}
          <p className="h-4 text-xs text-indigo-700" role="status" aria-live="polite">
            {hint}
          </p>

          <SafetyLabels
            policy={draft.promptPolicy}
            harmCategory={draft.harmCategory}
            taxonomy={task.project.harmTaxonomy}
            onPolicy={(p) => update(() => ({ promptPolicy: p }))}
            onHarmCategory={(c) => update(() => ({ harmCategory: c }))}
          />

          <section className="space-y-1">
            <label htmlFor="rationale" className="section-title block">
              Rationale <span className="font-normal normal-case text-slate-400">optional</span>
            </label>
            <textarea
              id="rationale"
              value={draft.rationale}
              onChange={(e) => update(() => ({ rationale: e.target.value }))}
              rows={3}
              maxLength={5000}
              placeholder={pairwise ? "Why this verdict? Anything a reviewer should know." : "Why this order? Anything a reviewer should know."}
              className="block w-full resize-y rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            />
          </section>

          <SubmitPanel
            problems={problems}
            showProblems={showProblems}
            serverMessage={serverMessage}
            status={submitStatus}
            onSubmit={() => void submit()}
            onRetryNow={onRetryNow}
            onWriteBetter={openDemo}
            demoSaved={Boolean(draft.demonstration?.savedId)}
          />
        </aside>
      </div>

      <GuidelinesDrawer
        open={guidelinesOpen}
        onClose={() => setGuidelinesOpen(false)}
        guidelines={task.project.guidelines}
        version={task.project.guidelinesVersion}
        rewardTable={task.project.rewardTable}
      />
      <ShortcutsHelp open={dialog === "help"} onClose={() => setDialog(null)} mode={pairwise ? "pairwise" : "rank"} k={responses.length} />
      <DemonstrationEditor
        open={dialog === "demo"}
        onClose={() => setDialog(null)}
        demonstration={draft.demonstration}
        basedOnLabel={draft.demonstration?.basedOnResponseId ? (labelOf.get(draft.demonstration.basedOnResponseId) ?? null) : null}
        onChange={(content) =>
          setDraft((d) => ({
            ...d,
            // Text changed after a save is a new answer: a new key, or the server would return the old one.
            demonstration: d.demonstration?.savedId
              ? { ...d.demonstration, content, savedId: null, idempotencyKey: newKey() }
              : { content, basedOnResponseId: d.demonstration?.basedOnResponseId ?? null, idempotencyKey: d.demonstration?.idempotencyKey ?? newKey(), savedId: null },
          }))
        }
        onSave={saveDemo}
        saving={demonstrate.isPending}
        error={demonstrate.error ? withLetters(demonstrate.error.message, task) : null}
      />
      <SkipDialog
        open={dialog === "skip"}
        onClose={() => setDialog(null)}
        pending={skip.isPending}
        error={skip.error?.message ?? null}
        onSkip={(reason) => void leave(() => skip.mutateAsync({ assignmentId: task.assignmentId, reason }), "Task skipped.")}
      />
      <ReportDialog
        open={dialog === "report"}
        onClose={() => setDialog(null)}
        pending={report.isPending}
        error={report.error?.message ?? null}
        onReport={(reason: ReportReason, note) =>
          void leave(() => report.mutateAsync({ assignmentId: task.assignmentId, reason, note }), "Prompt reported; the task was skipped.")
        }
      />
    </div>
  );
}
