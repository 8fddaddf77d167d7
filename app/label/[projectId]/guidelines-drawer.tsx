"use client";

import { useEffect, useRef } from "react";
import { Markdown } from "../../components/markdown";
import { promptPolicies, rubricGrades } from "../../../server/annotation/submission";
import { rubricText } from "./response-labels";

function RewardTable({ table }: { table: unknown }) {
  if (!table || typeof table !== "object") return null;
  const rows = table as Record<string, Record<string, unknown> | undefined>;
  return (
    <table className="w-full text-left text-sm tabular-nums">
      <caption className="mb-1 text-left text-xs text-slate-500">Safety reward by prompt policy (rows) and rubric grade (columns)</caption>
      <thead>
        <tr className="border-b border-slate-200 text-slate-500">
          <th className="py-1 font-medium">policy</th>
          {rubricGrades.map((g) => (
            <th key={g} className="py-1 font-medium" title={rubricText[g].long}>
              {g}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {promptPolicies.map((p) => (
          <tr key={p} className="border-b border-slate-100 last:border-0">
            <td className="py-1">{p}</td>
            {rubricGrades.map((g) => {
              const v = rows[p]?.[g];
              return <td key={g}>{typeof v === "number" ? (v > 0 ? `+${v.toFixed(1)}` : v.toFixed(1)) : "—"}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Non-modal on purpose: annotators read the guidelines while they keep labelling, so the task
 * stays interactive next to the drawer.
 */
export function GuidelinesDrawer({
  open,
  onClose,
  guidelines,
  version,
  rewardTable,
}: {
  open: boolean;
  onClose: () => void;
  guidelines: string;
  version: number;
  rewardTable: unknown;
}) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (open) closeRef.current?.focus();
  }, [open]);
  return (
    <aside
      aria-label="Guidelines"
      aria-hidden={!open}
      inert={!open}
      className={`fixed inset-y-0 right-0 z-40 flex w-[min(32rem,100vw)] flex-col border-l border-slate-200 bg-white shadow-2xl transition-transform duration-200 ${
        open ? "translate-x-0" : "translate-x-full"
      }`}
    >
      <div className="flex h-12 shrink-0 items-center justify-between border-b border-slate-200 px-4">
        <h2 className="text-base">
          Guidelines <span className="text-sm font-normal text-slate-500">v{version}</span>
        </h2>
        <button ref={closeRef} type="button" onClick={onClose} className="btn-ghost" aria-label="Close guidelines">
          Close <kbd className="kbd">Esc</kbd>
        </button>
      </div>
      <div className="flex-1 space-y-6 overflow-y-auto p-4">
        {guidelines.trim() ? <Markdown content={guidelines} /> : <p className="text-sm text-slate-500">This project has no written guidelines yet.</p>}
        <section className="space-y-2">
          <h3 className="section-title">Safety rubric</h3>
          <dl className="space-y-1 text-sm">
            {rubricGrades.map((g) => (
              <div key={g} className="flex gap-2">
                <dt className="w-4 font-semibold">{g}</dt>
                <dd className="text-slate-700">{rubricText[g].long}</dd>
              </div>
            ))}
          </dl>
          <RewardTable table={rewardTable} />
        </section>
      </div>
    </aside>
  );
}
