"use client";

import Link from "next/link";
import { useState } from "react";
import { percent, shortId } from "../../../components/format";
import { Panel } from "../../../components/panel";
import type { Quality } from "../types";

const firstShown = 10;

/** Tasks whose annotators disagree most, worst first: where adjudication pays off. */
export function DisagreementQueue({ items, multiplyLabelled }: { items: Quality["disagreements"]; multiplyLabelled: number }) {
  const [all, setAll] = useState(false);
  const shown = all ? items : items.slice(0, firstShown);
  return (
    <Panel title="Disagreement queue" actions={<span className="text-sm text-slate-500">lowest agreement and policy conflicts first</span>}>
      {items.length === 0 ? (
        <p className="text-sm text-slate-500">
          {multiplyLabelled === 0
            ? "Nothing to compare yet: tasks appear here once two or more annotators have labelled them."
            : "No disagreements: every task labelled by several annotators has the same ranking and prompt policy."}
        </p>
      ) : (
        <>
          <ul className="divide-y divide-slate-100">
            {shown.map((d) => (
              <li key={d.taskId} className="flex flex-wrap items-center gap-x-4 gap-y-1 py-2 text-sm" data-testid="disagreement">
                <Link href={`/review?taskId=${d.taskId}&state=any`} className="font-mono text-blue-700 hover:underline" aria-label={`Review task ${shortId(d.taskId)}`}>
                  task {shortId(d.taskId)}
                </Link>
                <span className="flex items-center gap-2" title="Pairwise preference agreement among this task's annotators">
                  <span className="h-2 w-24 overflow-hidden rounded-full bg-slate-200">
                    <span className="block h-full bg-indigo-500" style={{ width: percent(d.agreement ?? 0) }} />
                  </span>
                  <span className="tabular-nums">{percent(d.agreement)} agree</span>
                </span>
                <span className="text-slate-500">{d.annotations} annotations</span>
                {d.policyConflict && <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800">policy conflict</span>}
              </li>
            ))}
          </ul>
          {items.length > firstShown && (
            <button type="button" className="btn-ghost" onClick={() => setAll((a) => !a)}>
              {all ? "Show fewer" : `Show all ${items.length}`}
            </button>
          )}
        </>
      )}
    </Panel>
  );
}
