"use client";

import type { QualityFlag, RubricGrade } from "../../../server/annotation/submission";
import { Markdown } from "../../components/markdown";
import { flagText, ResponseLabels, rubricText } from "../../label/[projectId]/response-labels";
import type { ReviewItem } from "../types";

type Response = ReviewItem["responses"][number];

/**
 * One response as the annotator saw it (same letter), with the labels they gave it. While a
 * correction is open, the labels become the labelling screen's own rubric and flag pickers.
 */
export function ReviewResponseCard({
  response,
  status,
  grade,
  flags,
  edit,
}: {
  response: Response;
  status: string;
  grade: RubricGrade | undefined;
  flags: QualityFlag[];
  edit?: { rubricRequired: boolean; onGrade: (g: RubricGrade) => void; onToggleFlag: (f: QualityFlag) => void };
}) {
  return (
    <article
      data-testid="review-response"
      data-response-id={response.id}
      data-response-label={response.label}
      aria-label={`Response ${response.label}`}
      className="flex min-w-0 flex-col overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm"
    >
      <header className="flex h-10 shrink-0 items-center gap-2 border-b border-slate-200 px-3">
        <span aria-hidden className="flex size-6 items-center justify-center rounded bg-slate-800 text-sm font-bold text-white">
          {response.label}
        </span>
        <span className="font-medium">Response {response.label}</span>
        {response.model && (
          <span className="truncate rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-600" title="Model version that wrote it">
            {response.model}
          </span>
        )}
        <span className="ml-auto shrink-0 text-xs text-slate-500" data-testid="response-status">
          {status}
        </span>
      </header>
      <div className="max-h-[28rem] min-h-20 flex-1 overflow-y-auto px-4 py-3">
        <Markdown content={response.content} />
      </div>
      {edit ? (
        <ResponseLabels
          responseId={response.id}
          letter={response.label}
          grade={grade}
          flags={flags}
          rubricRequired={edit.rubricRequired}
          onGrade={edit.onGrade}
          onToggleFlag={edit.onToggleFlag}
        />
      ) : (
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1 border-t border-slate-200 bg-slate-50/70 px-3 py-2 text-sm">
          <span className="text-xs font-medium uppercase tracking-wide text-slate-500">Rubric</span>
          {grade ? (
            <span title={rubricText[grade].long}>
              <span className="font-semibold">{grade}</span> <span className="text-slate-600">{rubricText[grade].short}</span>
            </span>
          ) : (
            <span className="text-slate-400">not graded</span>
          )}
          {flags.length > 0 && (
            <span className="flex flex-wrap gap-1">
              {flags.map((f) => (
                <span key={f} className={`rounded px-1.5 py-0.5 text-xs ${f === "unsafe" ? "bg-red-100 text-red-800" : "bg-amber-100 text-amber-800"}`}>
                  {flagText[f] ?? f}
                </span>
              ))}
            </span>
          )}
        </div>
      )}
    </article>
  );
}
