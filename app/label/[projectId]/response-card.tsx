"use client";

import { Markdown } from "../../components/markdown";
import type { QualityFlag, RubricGrade } from "../../../server/annotation/submission";
import { ResponseLabels } from "./response-labels";
import type { TaskResponse } from "./types";

export function ResponseCard({
  response,
  active,
  status,
  grade,
  flags,
  rubricRequired,
  onActivate,
  onGrade,
  onToggleFlag,
  body,
  scrollRef,
  onScroll,
  heightClass = "max-h-[26rem]",
}: {
  response: TaskResponse;
  active: boolean;
  /** Where the response stands: its rank, or the verdict in pairwise mode. */
  status: string;
  grade: RubricGrade | undefined;
  flags: QualityFlag[];
  rubricRequired: boolean;
  onActivate: () => void;
  onGrade: (grade: RubricGrade) => void;
  onToggleFlag: (flag: QualityFlag) => void;
  /** Replaces the rendered markdown, e.g. with a word diff. */
  body?: React.ReactNode;
  scrollRef?: React.Ref<HTMLDivElement>;
  onScroll?: () => void;
  heightClass?: string;
}) {
  return (
    <article
      id={`response-card-${response.id}`}
      data-testid="response-card"
      data-response-id={response.id}
      data-response-label={response.label}
      aria-label={`Response ${response.label}`}
      tabIndex={-1}
      onFocus={onActivate}
      className={`flex min-w-0 flex-col overflow-hidden rounded-lg border bg-white shadow-sm outline-none transition-shadow ${
        active ? "border-indigo-400 ring-2 ring-indigo-300" : "border-slate-200"
      }`}
    >
      <header className="flex h-10 shrink-0 items-center gap-2 border-b border-slate-200 px-3">
        <span
          aria-hidden
          className={`flex size-6 items-center justify-center rounded text-sm font-bold ${active ? "bg-indigo-600 text-white" : "bg-slate-800 text-white"}`}
        >
          {response.label}
        </span>
        <span className="font-medium">Response {response.label}</span>
        <span className="ml-auto text-xs text-slate-500" data-testid="response-rank">
          {status}
        </span>
      </header>
      <div ref={scrollRef} onScroll={onScroll} className={`min-h-24 flex-1 overflow-y-auto px-4 py-3 ${heightClass}`}>
        {body ?? <Markdown content={response.content} />}
      </div>
      <ResponseLabels
        responseId={response.id}
        letter={response.label}
        grade={grade}
        flags={flags}
        rubricRequired={rubricRequired}
        onGrade={onGrade}
        onToggleFlag={onToggleFlag}
      />
    </article>
  );
}
