"use client";

import { useState } from "react";
import { ErrorText } from "../../components/panel";
import { Markdown } from "../../components/markdown";
import { ModalDialog } from "../../components/modal-dialog";
import type { Draft } from "./use-draft";

type Demonstration = NonNullable<Draft["demonstration"]>;

/** "Write a better answer": an editor prefilled with the best response; the text lives in the draft. */
export function DemonstrationEditor({
  open,
  onClose,
  demonstration,
  basedOnLabel,
  onChange,
  onSave,
  saving,
  error,
}: {
  open: boolean;
  onClose: () => void;
  demonstration: Demonstration | null;
  basedOnLabel: string | null;
  onChange: (content: string) => void;
  onSave: () => void;
  saving: boolean;
  error: string | null;
}) {
  const [preview, setPreview] = useState(false);
  const content = demonstration?.content ?? "";
  return (
    <ModalDialog open={open} onClose={onClose} title="Write a better answer" wide>
      <p className="text-sm text-slate-600">
        {demonstration?.savedId
          ? "Your saved answer; edit it and save again to replace it. "
          : basedOnLabel
            ? `Starts from response ${basedOnLabel}, your current best. `
            : "Nothing is ranked yet, so it starts empty (rank first to start from your best response). "}
        Write the answer you wish the assistant had given; it becomes a
        demonstration for supervised fine-tuning. It is saved separately from your ranking.
      </p>
      <div className="flex gap-1 text-sm" role="tablist" aria-label="Editor view">
        <button type="button" role="tab" aria-selected={!preview} onClick={() => setPreview(false)} className={`tab ${!preview ? "tab-active" : ""}`}>
          Write
        </button>
        <button type="button" role="tab" aria-selected={preview} onClick={() => setPreview(true)} className={`tab ${preview ? "tab-active" : ""}`}>
          Preview
        </button>
      </div>
      {preview ? (
        <div className="h-[50vh] overflow-y-auto rounded-md border border-slate-200 p-3">
          <Markdown content={content} />
        </div>
      ) : (
        <textarea
          aria-label="Better answer"
          value={content}
          onChange={(e) => onChange(e.target.value)}
          autoFocus
          spellCheck
          className="h-[50vh] w-full resize-none rounded-md border border-slate-300 p-3 font-mono text-sm leading-relaxed"
        />
      )}
      <ErrorText message={error} />
      <div className="flex items-center justify-end gap-2">
        {demonstration?.savedId && <span className="mr-auto text-sm text-green-700">Saved. Edit it to change it; saving again replaces it.</span>}
        <button type="button" onClick={onClose} className="btn">
          Close
        </button>
        <button type="button" onClick={onSave} disabled={saving || !content.trim() || Boolean(demonstration?.savedId)} className="btn-primary">
          {saving ? "Saving…" : demonstration?.savedId ? "Saved" : "Save answer"}
        </button>
      </div>
    </ModalDialog>
  );
}
