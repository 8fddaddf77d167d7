"use client";

import type { Strength } from "../../../server/annotation/ranking";
import { ErrorText } from "../../components/panel";
import { PairwiseVerdictPicker } from "../../label/[projectId]/pairwise-verdict";
import { RankingBoard } from "../../label/[projectId]/ranking-board";
import { moveDown, moveUp, placeAt, toggleTie, unplace, type Groups } from "../../label/[projectId]/ranking-state";
import { SafetyLabels } from "../../label/[projectId]/safety-labels";
import type { ReviewItem } from "../types";
import type { Correction } from "./correction";

/**
 * The ranking board of the labelling screen with its keyboard moves: on a focused response,
 * ↑/↓ move it, a digit puts it at that rank, t ties it with the one above, x takes it out.
 */
function KeyboardRankingBoard({
  item,
  correction,
  onGroups,
  onStrength,
}: {
  item: ReviewItem;
  correction: Correction;
  onGroups: (change: (g: Groups) => Groups) => void;
  onStrength: (key: string, s: Strength) => void;
}) {
  const tiesAllowed = item.project.tiesAllowed;
  // Reordering moves the DOM node, which can drop focus; put it back on the same response.
  const refocus = (id: string) => requestAnimationFrame(() => document.getElementById(`rank-item-${id}`)?.focus());
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const el = (e.target as HTMLElement).closest<HTMLElement>("[data-testid=rank-item]");
    const id = el?.dataset.responseId;
    if (!id) return;
    let change: ((g: Groups) => Groups) | null = null;
    if (e.key === "ArrowUp") change = (g) => moveUp(g, id);
    else if (e.key === "ArrowDown") change = (g) => moveDown(g, id);
    else if (e.key === "t" && tiesAllowed) change = (g) => toggleTie(g, id);
    else if (e.key === "x" || e.key === "Delete") change = (g) => unplace(g, id);
    else if (/^[1-9]$/.test(e.key)) change = (g) => placeAt(g, id, Number(e.key) - 1);
    if (!change) return;
    e.preventDefault();
    onGroups(change);
    refocus(id);
  };
  return (
    <div onKeyDown={onKeyDown}>
      <RankingBoard
        responses={item.responses}
        groups={correction.groups}
        chosenStrengths={correction.strengths}
        tiesAllowed={tiesAllowed}
        activeId={null}
        onGroups={(g) => onGroups(() => g)}
        onStrength={onStrength}
        onActivate={() => {}}
        onToggleTie={(id) => onGroups((g) => toggleTie(g, id))}
        onUnplace={(id) => onGroups((g) => unplace(g, id))}
        onAppend={(id) => onGroups((g) => placeAt(g, id, g.length))}
      />
    </div>
  );
}

export function CorrectionEditor({
  item,
  correction,
  onChange,
  problems,
  showProblems,
  error,
  saving,
  onSave,
  onCancel,
}: {
  item: ReviewItem;
  correction: Correction;
  onChange: (change: (c: Correction) => Partial<Correction>) => void;
  problems: string[];
  showProblems: boolean;
  error: string | null;
  saving: boolean;
  onSave: () => void;
  onCancel: () => void;
}) {
  const pairwise = item.project.mode === "pairwise";
  return (
    <section aria-labelledby="correction-heading" className="space-y-5" data-testid="correction-editor">
      <div>
        <h2 id="correction-heading" className="text-base">
          Correct this annotation
        </h2>
        <p className="text-xs text-slate-500">The annotation&apos;s labels are replaced and its preference pairs derived again; the audit log keeps both versions.</p>
      </div>
      {pairwise ? (
        <PairwiseVerdictPicker verdict={correction.verdict} onVerdict={(v) => onChange(() => ({ verdict: v }))} />
      ) : (
        <section aria-labelledby="correct-ranking-heading" className="space-y-2">
          <div className="flex items-baseline justify-between gap-2">
            <h3 id="correct-ranking-heading" className="section-title">
              Ranking <span className="font-normal normal-case text-slate-400">best first</span>
            </h3>
            <span className="text-right text-xs text-slate-400">drag, or focus and ↑/↓{item.project.tiesAllowed ? ", t to tie" : ""}</span>
          </div>
          <KeyboardRankingBoard
            item={item}
            correction={correction}
            onGroups={(change) => onChange((c) => ({ groups: change(c.groups) }))}
            onStrength={(key, s) => onChange((c) => ({ strengths: { ...c.strengths, [key]: s } }))}
          />
        </section>
      )}
      <SafetyLabels
        policy={correction.promptPolicy}
        harmCategory={correction.harmCategory}
        taxonomy={item.project.harmTaxonomy}
        onPolicy={(p) => onChange(() => ({ promptPolicy: p }))}
        onHarmCategory={(h) => onChange(() => ({ harmCategory: h }))}
      />
      <p className="text-xs text-slate-500">Rubric grades and flags are edited on the response cards.</p>
      <label className="block space-y-1">
        <span className="section-title block">
          Note to the annotator <span className="font-normal normal-case text-slate-400">optional</span>
        </span>
        <textarea
          value={correction.note}
          onChange={(e) => onChange(() => ({ note: e.target.value }))}
          rows={2}
          maxLength={2000}
          placeholder="What was wrong, so they can learn from it"
          className="block w-full resize-y rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
      </label>
      {showProblems && problems.length > 0 && (
        <ul role="alert" className="list-disc space-y-0.5 rounded bg-amber-50 py-2 pl-7 pr-3 text-sm text-amber-900">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <ErrorText message={error} />
      <div className="flex justify-end gap-2">
        <button type="button" className="btn" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
        <button type="button" className="btn-primary" onClick={onSave} disabled={saving}>
          {saving ? "Saving…" : "Save correction"}
        </button>
      </div>
    </section>
  );
}
