"use client";

import { useTable, type SortingState } from "@tanstack/react-table";
import Link from "next/link";
import { useMemo, useState } from "react";
import { columnHelperFor, DataTable, tableFeatureSet } from "../../../components/data-table";
import { decimal, duration, noValue, percent } from "../../../components/format";
import { Panel } from "../../../components/panel";
import type { AnnotatorQuality } from "../types";
import { BiasBar, biasSummary } from "./agreement-panel";

type Row = AnnotatorQuality & { projectId: string };

const col = columnHelperFor<Row>();
// Nulls become undefined so sortUndefined can keep "no data" at the bottom whichever way a column sorts.
const orLast = { sortUndefined: "last" as const, sortDescFirst: true, meta: { align: "right" as const } };

const columns = col.columns([
  col.accessor("name", {
    header: "Annotator",
    sortFn: "text",
    cell: (info) => (
      <Link
        href={`/review?annotatorId=${encodeURIComponent(info.row.original.annotatorId)}&projectId=${info.row.original.projectId}`}
        className="whitespace-nowrap font-medium text-blue-700 hover:underline"
        title="Open this annotator's work in the review queue"
      >
        {info.getValue()}
      </Link>
    ),
  }),
  col.accessor((a) => (a.flagged ? 1 : 0), {
    id: "flagged",
    header: "Gold",
    sortDescFirst: true,
    meta: { hint: "Flagged when gold accuracy falls below the project's threshold" },
    cell: (info) =>
      info.row.original.goldAccuracy === null ? (
        <span className="text-xs text-slate-400" title="No gold items answered yet">
          {noValue}
        </span>
      ) : info.row.original.flagged ? (
        <span className="whitespace-nowrap rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800" data-testid="flagged">
          flagged
        </span>
      ) : (
        <span className="text-xs text-slate-400">ok</span>
      ),
  }),
  col.accessor("volume", { header: "Volume", ...orLast, meta: { align: "right", hint: "Annotations in this project, rejected ones left out" } }),
  col.accessor("rejected", { header: "Rejected", ...orLast }),
  col.accessor((a) => a.medianTimeMs ?? undefined, {
    id: "medianTimeMs",
    header: "Median time",
    ...orLast,
    cell: (info) => duration(info.getValue()),
  }),
  col.accessor((a) => a.peerAgreement ?? undefined, {
    id: "peerAgreement",
    header: "Peer agreement",
    ...orLast,
    meta: { align: "right", hint: "Pairwise preference agreement with the other annotators of the same tasks" },
    cell: (info) => (
      <span title={`${info.row.original.peerComparisons} comparisons`}>
        {percent(info.getValue())}
        {info.row.original.peerComparisons > 0 && <span className="ml-1 text-xs text-slate-400">/{info.row.original.peerComparisons}</span>}
      </span>
    ),
  }),
  col.accessor((a) => a.goldAccuracy ?? undefined, {
    id: "goldAccuracy",
    header: "Gold accuracy",
    ...orLast,
    cell: (info) => (
      <span className={info.row.original.flagged ? "font-medium text-red-700" : ""}>
        {percent(info.getValue())}
        {info.row.original.goldItems > 0 && (
          <span className="ml-1 text-xs text-slate-400">
            ({info.row.original.goldItems} item{info.row.original.goldItems === 1 ? "" : "s"})
          </span>
        )}
      </span>
    ),
  }),
  col.accessor((a) => a.skipRate ?? undefined, { id: "skipRate", header: "Skip rate", ...orLast, cell: (info) => percent(info.getValue()) }),
  col.accessor("trust", {
    header: "Trust",
    ...orLast,
    meta: { align: "right", hint: "Gold accuracy, peer agreement and answered rate, shrunk towards 0.5 for small volumes" },
    cell: (info) => decimal(info.getValue()),
  }),
  col.accessor((a) => a.positionBias.rate ?? undefined, {
    id: "positionBias",
    header: "First-shown wins",
    ...orLast,
    meta: { hint: "How often the first-shown response won, with its 95% interval; the line is chance" },
    cell: (info) => {
      const bias = info.row.original.positionBias;
      if (bias.rate === null) return <span className="text-slate-400">{noValue}</span>;
      return (
        <div className="flex items-center gap-2 whitespace-nowrap" title={biasSummary(bias)}>
          <BiasBar bias={bias} compact />
          <span className="text-xs leading-tight tabular-nums">
            {percent(bias.rate)}
            {bias.biased && (
              <span className="ml-1 text-amber-700" title="Chance lies outside the 95% interval" data-testid="position-biased">
                ⚠
              </span>
            )}
            <span className="block text-[0.7rem] text-slate-400">
              CI {Math.round(bias.lower * 100)}–{percent(bias.upper)}
            </span>
          </span>
        </div>
      );
    },
  }),
]);

export function AnnotatorTable({ rows, projectId, goldThreshold }: { rows: AnnotatorQuality[]; projectId: string; goldThreshold: number }) {
  // Memoised: a new array on every render would rebuild the table's row model each time.
  const data = useMemo(() => rows.map((r) => ({ ...r, projectId })), [rows, projectId]);
  const [sorting, setSorting] = useState<SortingState>([{ id: "volume", desc: true }]);
  const table = useTable({
    features: tableFeatureSet,
    columns,
    data,
    getRowId: (a) => a.annotatorId,
    state: { sorting },
    onSortingChange: setSorting,
  });
  return (
    <Panel title="Annotators" actions={<span className="text-sm text-slate-500">flagged below {percent(goldThreshold)} gold accuracy</span>}>
      <DataTable table={table} caption="Annotators of this project" rowTestId="annotator-row" empty="Nobody has taken a task in this project yet." />
    </Panel>
  );
}
