"use client";

import { useState } from "react";
import { ErrorText } from "../../components/panel";
import { ModalDialog } from "../../components/modal-dialog";

const skipPresets = ["Needs expertise I don't have", "Language I can't judge", "Too long to judge well", "Responses don't load or are empty"];

export function SkipDialog({
  open,
  onClose,
  onSkip,
  pending,
  error,
}: {
  open: boolean;
  onClose: () => void;
  onSkip: (reason: string) => void;
  pending: boolean;
  error: string | null;
}) {
  const [reason, setReason] = useState("");
  return (
    <ModalDialog open={open} onClose={onClose} title="Skip this task">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason.trim()) onSkip(reason.trim());
        }}
      >
        <p className="text-sm text-slate-600">It goes back to the pool for someone else; you will not see it again.</p>
        <div className="flex flex-wrap gap-1.5">
          {skipPresets.map((p) => (
            <button key={p} type="button" onClick={() => setReason(p)} className={`pill ${reason === p ? "pill-on" : ""}`}>
              {p}
            </button>
          ))}
        </div>
        <label className="block text-sm">
          Reason
          <textarea
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            required
            maxLength={500}
            rows={3}
            className="mt-1 block w-full rounded-md border border-slate-300 p-2 text-sm"
          />
        </label>
        <DialogActions error={error} onClose={onClose} disabled={pending || !reason.trim()} className="btn-primary">
          {pending ? "Skipping…" : "Skip task"}
        </DialogActions>
      </form>
    </ModalDialog>
  );
}

const reportReasons = [
  { value: "pii", label: "Personal data (PII)" },
  { value: "broken", label: "Broken or unreadable" },
  { value: "offensive", label: "Offensive" },
  { value: "other", label: "Other" },
] as const;
export type ReportReason = (typeof reportReasons)[number]["value"];

export function ReportDialog({
  open,
  onClose,
  onReport,
  pending,
  error,
}: {
  open: boolean;
  onClose: () => void;
  onReport: (reason: ReportReason, note: string | null) => void;
  pending: boolean;
  error: string | null;
}) {
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [note, setNote] = useState("");
  return (
    <ModalDialog open={open} onClose={onClose} title="Report this prompt">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (reason) onReport(reason, note.trim() || null);
        }}
      >
        <p className="text-sm text-slate-600">An admin reviews the report; the task is skipped for you.</p>
        <fieldset className="grid grid-cols-2 gap-1.5">
          <legend className="sr-only">Reason</legend>
          {reportReasons.map((r) => (
            <label key={r.value} className="pill">
              <input type="radio" className="pill-input" name="report-reason" checked={reason === r.value} onChange={() => setReason(r.value)} />
              {r.label}
            </label>
          ))}
        </fieldset>
        <label className="block text-sm">
          Note (optional)
          <textarea
            value={note}
            onChange={(e) => setNote(e.target.value)}
            maxLength={2000}
            rows={3}
            className="mt-1 block w-full rounded-md border border-slate-300 p-2 text-sm"
          />
        </label>
        <DialogActions error={error} onClose={onClose} disabled={pending || !reason} className="btn-danger">
          {pending ? "Reporting…" : "Report and skip"}
        </DialogActions>
      </form>
    </ModalDialog>
  );
}

/** The error line and Cancel / submit buttons every task dialog ends with. */
function DialogActions({
  error,
  onClose,
  disabled,
  className,
  children,
}: {
  error: string | null;
  onClose: () => void;
  disabled: boolean;
  className: string;
  children: React.ReactNode;
}) {
  return (
    <>
      <ErrorText message={error} />
      <div className="flex justify-end gap-2">
        <button type="button" onClick={onClose} className="btn">
          Cancel
        </button>
        <button type="submit" disabled={disabled} className={className}>
          {children}
        </button>
      </div>
    </>
  );
}
