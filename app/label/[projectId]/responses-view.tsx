"use client";

import { useState } from "react";
import type { QualityFlag, RubricGrade } from "../../../server/annotation/submission";
import { ResponseCard } from "./response-card";
import { SideBySide, type CardSlot } from "./side-by-side";
import type { TaskResponse } from "./types";

export type CardLabels = {
  activeId: string | null;
  rubricRequired: boolean;
  statusOf: (id: string) => string;
  gradeOf: (id: string) => RubricGrade | undefined;
  flagsOf: (id: string) => QualityFlag[];
  onActivate: (id: string) => void;
  onGrade: (id: string, grade: RubricGrade) => void;
  onToggleFlag: (id: string, flag: QualityFlag) => void;
};

/** Two responses sit side by side; more become a grid of cards, with any two comparable side by side. */
export function ResponsesView({ responses, labels }: { responses: TaskResponse[]; labels: CardLabels }) {
  const [compare, setCompare] = useState<[string, string] | null>(null);

  const card = (r: TaskResponse, slot?: Partial<CardSlot>) => (
    <ResponseCard
      key={r.id}
      response={r}
      active={labels.activeId === r.id}
      status={labels.statusOf(r.id)}
      grade={labels.gradeOf(r.id)}
      flags={labels.flagsOf(r.id)}
      rubricRequired={labels.rubricRequired}
      onActivate={() => labels.onActivate(r.id)}
      onGrade={(g) => labels.onGrade(r.id, g)}
      onToggleFlag={(f) => labels.onToggleFlag(r.id, f)}
      body={slot?.body}
      scrollRef={slot?.scrollRef}
      onScroll={slot?.onScroll}
      heightClass={slot?.heightClass}
    />
  );

  if (responses.length === 2) {
    return (
      <section aria-label="Responses">
        <SideBySide left={responses[0]!} right={responses[1]!} renderCard={card} />
      </section>
    );
  }

  const byId = new Map(responses.map((r) => [r.id, r]));
  const pair = compare ? ([byId.get(compare[0]), byId.get(compare[1])] as const) : null;
  const select = (i: 0 | 1, id: string) =>
    setCompare((c) => {
      const next: [string, string] = c ? [...c] : [responses[0]!.id, responses[1]!.id];
      next[i] = id;
      return next;
    });
  return (
    <section aria-label="Responses" className="space-y-2">
      <div className="flex h-7 flex-wrap items-center gap-2 text-sm text-slate-600">
        <label className="flex items-center gap-1.5">
          <input
            type="checkbox"
            className="accent-indigo-600"
            checked={compare !== null}
            onChange={(e) => setCompare(e.target.checked ? [responses[0]!.id, responses[1]!.id] : null)}
          />
          Compare two side by side
        </label>
        {compare && (
          <>
            {([0, 1] as const).map((i) => (
              <select
                key={i}
                aria-label={i === 0 ? "Left response" : "Right response"}
                value={compare[i]}
                onChange={(e) => select(i, e.target.value)}
                className="rounded border border-slate-300 bg-white px-1 py-0.5 text-sm"
              >
                {responses.map((r) => (
                  <option key={r.id} value={r.id} disabled={r.id === compare[1 - i]}>
                    {r.label}
                  </option>
                ))}
              </select>
            ))}
          </>
        )}
      </div>
      {pair && pair[0] && pair[1] ? (
        <SideBySide key={`${pair[0].id}-${pair[1].id}`} left={pair[0]} right={pair[1]} renderCard={card} />
      ) : (
        <div className="grid grid-cols-1 gap-3 xl:grid-cols-2">{responses.map((r) => card(r))}</div>
      )}
    </section>
  );
}
