"use client";

import { useEffect, useId, useRef } from "react";

/**
 * A native modal <dialog>: the browser traps focus, makes the page behind it inert and closes it
 * on Escape, which a hand-rolled overlay would have to re-implement.
 */
export function ModalDialog({
  open,
  onClose,
  title,
  children,
  wide = false,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: React.ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      // A click on the backdrop lands on the <dialog> element itself.
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
      className={`m-auto w-[calc(100vw-2rem)] rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/40 ${wide ? "max-w-4xl" : "max-w-lg"}`}
    >
      {open && (
        <div className="space-y-4 p-5">
          <div className="flex items-start justify-between gap-4">
            <h2 id={titleId}>{title}</h2>
            <button type="button" onClick={onClose} aria-label="Close" className="btn-ghost -mr-2 -mt-1 px-2 text-lg leading-none">
              ×
            </button>
          </div>
          {children}
        </div>
      )}
    </dialog>
  );
}
