"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { functionalUpdate, useTable, type PaginationState, type SortingState, type Updater } from "@tanstack/react-table";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo } from "react";
import { reviewStates } from "../../server/review/review.schema";
import { columnHelperFor, DataTable, tableFeatureSet } from "../components/data-table";
import { dateTime, duration, noValue, shortId } from "../components/format";
import { ErrorText, Panel } from "../components/panel";
import { ReviewStateBadge, type ReviewState } from "../components/review-state-badge";
import { useTRPC } from "../trpc/client";
import { rememberQueue } from "./queue-memory";
import type { ReviewRow } from "./types";

type Query = {
  projectId?: string;
  annotatorId?: string;
  taskId?: string;
  state?: ReviewState;
  flagged: boolean;
  /** Only work whose annotator asked a question nobody has answered. */
  questions: boolean;
  sort: "createdAt" | "timeSpentMs";
  dir: "asc" | "desc";
  /** 0-based here, 1-based in the URL. */
  page: number;
  size: number;
};

const pageSizes = [25, 50, 100];
const defaults = { sort: "createdAt", dir: "desc", page: 0, size: 25 } as const;

/** The URL is the queue's state, so a link (from a dashboard, or shared) opens the same queue. */
function parseQuery(params: URLSearchParams): Query {
  const opt = (name: string) => params.get(name) || undefined;
  const state = params.get("state");
  const size = Number(params.get("size"));
  const page = Number(params.get("page"));
  return {
    projectId: opt("projectId"),
    annotatorId: opt("annotatorId"),
    taskId: opt("taskId"),
    // What is left to review, unless the URL asks for another state or for all of them ("any").
    state: state === "any" ? undefined : (reviewStates as readonly string[]).includes(state ?? "") ? (state as ReviewState) : "pending",
    flagged: params.get("flagged") === "1",
    questions: params.get("questions") === "1",
    sort: params.get("sort") === "timeSpentMs" ? "timeSpentMs" : defaults.sort,
    dir: params.get("dir") === "asc" ? "asc" : defaults.dir,
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
    size: pageSizes.includes(size) ? size : defaults.size,
  };
}

function queryString(q: Query): string {
  const params = new URLSearchParams();
  if (q.projectId) params.set("projectId", q.projectId);
  if (q.annotatorId) params.set("annotatorId", q.annotatorId);
  if (q.taskId) params.set("taskId", q.taskId);
  if (q.state !== "pending") params.set("state", q.state ?? "any");
  if (q.flagged) params.set("flagged", "1");
  if (q.questions) params.set("questions", "1");
  if (q.sort !== defaults.sort) params.set("sort", q.sort);
  if (q.dir !== defaults.dir) params.set("dir", q.dir);
  if (q.page > 0) params.set("page", String(q.page + 1));
  if (q.size !== defaults.size) params.set("size", String(q.size));
  const s = params.toString();
  return s ? `?${s}` : "";
}

const col = columnHelperFor<ReviewRow>();
const columns = col.columns([
  col.accessor("createdAt", {
    header: "Submitted",
    cell: (info) => <span className="whitespace-nowrap">{dateTime(info.getValue())}</span>,
  }),
  col.accessor("projectName", { header: "Project", enableSorting: false, cell: (info) => <span className="line-clamp-1 min-w-32">{info.getValue()}</span> }),
  col.accessor("annotatorName", { header: "Annotator", enableSorting: false, cell: (info) => <span className="whitespace-nowrap">{info.getValue()}</span> }),
  col.accessor("promptPolicy", {
    header: "Policy",
    enableSorting: false,
    cell: (info) => (
      <span className="whitespace-nowrap">
        {info.getValue() ?? noValue}
        {info.row.original.harmCategory && <span className="block text-xs text-slate-500">{info.row.original.harmCategory}</span>}
      </span>
    ),
  }),
  col.accessor("flagCount", {
    header: "Flags",
    enableSorting: false,
    meta: { align: "right", hint: "Quality flags the annotator set on responses" },
    cell: (info) => (info.getValue() ? <span className="rounded bg-amber-100 px-1.5 text-amber-800">{info.getValue()}</span> : <span className="text-slate-400">0</span>),
  }),
  col.accessor("timeSpentMs", { header: "Time spent", meta: { align: "right" }, cell: (info) => duration(info.getValue()) }),
  col.accessor("reviewState", {
    header: "Review",
    enableSorting: false,
    cell: (info) => (
      <span className="whitespace-nowrap">
        <ReviewStateBadge state={info.getValue()} />
        {info.row.original.isGold && <span className="ml-1 rounded bg-yellow-100 px-1.5 py-0.5 text-xs font-medium text-yellow-800">gold</span>}
        {info.row.original.questionOpen && <span className="ml-1 rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">question</span>}
        {info.row.original.reviewedByName && <span className="block text-xs text-slate-500">by {info.row.original.reviewedByName}</span>}
      </span>
    ),
  }),
  col.display({
    id: "open",
    header: () => <span className="sr-only">Open</span>,
    cell: (info) => (
      <Link
        href={`/review/${info.row.original.id}`}
        className="whitespace-nowrap text-blue-700 hover:underline"
        aria-label={`Open the annotation by ${info.row.original.annotatorName} of ${dateTime(info.row.original.createdAt)}`}
      >
        Open →
      </Link>
    ),
  }),
]);

const noRows: ReviewRow[] = [];
const select = "rounded border border-slate-300 bg-white px-2 py-1 text-sm";

export function ReviewQueue() {
  const trpc = useTRPC();
  const router = useRouter();
  const searchParams = useSearchParams();
  const query = useMemo(() => parseQuery(new URLSearchParams(searchParams.toString())), [searchParams]);
  const go = (changes: Partial<Query>) => {
    // Any change but the page itself starts again on the first page.
    const next = { ...query, page: 0, ...changes };
    router.replace(`/review${queryString(next)}`, { scroll: false });
  };

  const projects = useQuery(trpc.projects.all.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const list = useQuery({
    ...trpc.review.list.queryOptions({
      projectId: query.projectId,
      annotatorId: query.annotatorId,
      taskId: query.taskId,
      reviewState: query.state,
      flagged: query.flagged || undefined,
      openQuestions: query.questions || undefined,
      sort: query.sort,
      direction: query.dir,
      page: query.page,
      pageSize: query.size,
    }),
    placeholderData: keepPreviousData,
  });

  const sorting: SortingState = [{ id: query.sort, desc: query.dir === "desc" }];
  const pagination: PaginationState = { pageIndex: query.page, pageSize: query.size };
  const table = useTable({
    features: tableFeatureSet,
    columns,
    data: list.data?.rows ?? noRows,
    getRowId: (r) => r.id,
    rowCount: list.data?.total ?? 0,
    manualSorting: true,
    manualPagination: true,
    enableSortingRemoval: false,
    enableMultiSort: false,
    state: { sorting, pagination },
    onSortingChange: (updater: Updater<SortingState>) => {
      const [first] = functionalUpdate(updater, sorting);
      if (first) go({ sort: first.id === "timeSpentMs" ? "timeSpentMs" : "createdAt", dir: first.desc ? "desc" : "asc" });
    },
    onPaginationChange: (updater: Updater<PaginationState>) => {
      const next = functionalUpdate(updater, pagination);
      go({ page: next.pageIndex, size: next.pageSize });
    },
  });

  const ids = list.data?.rows.map((r) => r.id).join(",");
  useEffect(() => {
    if (ids !== undefined) rememberQueue({ href: `/review${queryString(query)}`, ids: ids ? ids.split(",") : [] });
  }, [ids, query]);

  const total = list.data?.total ?? 0;
  const pageCount = Math.max(1, Math.ceil(total / query.size));
  const filtered = Boolean(query.projectId || query.annotatorId || query.taskId || query.state || query.flagged || query.questions);
  const openQuestions = list.data?.openQuestions ?? 0;
  const sortedUsers = useMemo(() => [...(users.data ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [users.data]);

  return (
    <>
      <h1>Review queue</h1>
      <Panel title="Annotations">
        <div className="flex flex-wrap items-end gap-3 text-sm" role="search" aria-label="Filters">
          <div className="space-y-1">
            <label htmlFor="filter-project" className="block font-medium">
              Project
            </label>
            <select id="filter-project" className={select} value={query.projectId ?? ""} onChange={(e) => go({ projectId: e.target.value || undefined })}>
              <option value="">All projects</option>
              {projects.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                  {p.archivedAt ? " (archived)" : ""}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="filter-annotator" className="block font-medium">
              Annotator
            </label>
            <select id="filter-annotator" className={select} value={query.annotatorId ?? ""} onChange={(e) => go({ annotatorId: e.target.value || undefined })}>
              <option value="">Everyone</option>
              {sortedUsers.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="filter-state" className="block font-medium">
              Review state
            </label>
            <select id="filter-state" className={select} value={query.state ?? ""} onChange={(e) => go({ state: (e.target.value || undefined) as ReviewState | undefined })}>
              <option value="">Any state</option>
              {reviewStates.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <label className="flex items-center gap-2 pb-1.5">
            <input type="checkbox" className="accent-indigo-600" checked={query.flagged} onChange={(e) => go({ flagged: e.target.checked })} />
            Flagged only
          </label>
          <label className="flex items-center gap-2 pb-1.5">
            {/* Questions are asked about reviewed work: the filter looks at every review state. */}
            <input type="checkbox" className="accent-indigo-600" checked={query.questions} onChange={(e) => go(e.target.checked ? { questions: true, state: undefined } : { questions: false })} />
            Open questions
            {openQuestions > 0 && (
              <span className="rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white" data-testid="open-questions">
                {openQuestions}
              </span>
            )}
          </label>
          {query.taskId && (
            <span className="mb-0.5 inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-3 pr-1 text-indigo-800" data-testid="task-filter">
              Task <span className="font-mono">{shortId(query.taskId)}</span>
              <button type="button" className="btn-icon size-6" aria-label="Show all tasks" onClick={() => go({ taskId: undefined })}>
                ×
              </button>
            </span>
          )}
          {filtered && (
            <button
              type="button"
              className="btn-ghost mb-0.5"
              onClick={() => go({ projectId: undefined, annotatorId: undefined, taskId: undefined, state: undefined, flagged: false, questions: false })}
            >
              Clear filters
            </button>
          )}
        </div>

        <ErrorText message={list.error?.message ?? projects.error?.message ?? users.error?.message} />
        {list.isPending ? (
          <p className="py-6 text-center text-sm text-slate-500">Loading annotations…</p>
        ) : (
          <div className={list.isPlaceholderData ? "opacity-60 transition-opacity" : ""} aria-busy={list.isFetching}>
            <DataTable
              table={table}
              caption="Annotations to review"
              rowTestId="review-row"
              onRowClick={(r) => router.push(`/review/${r.id}`)}
              empty={filtered ? "No annotations match these filters." : "No annotations yet."}
            />
          </div>
        )}

        <div className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
          <span data-testid="review-total">
            {total} annotation{total === 1 ? "" : "s"}
            {total > 0 && ` · page ${query.page + 1} of ${pageCount}`}
          </span>
          <div className="flex items-center gap-2">
            <label htmlFor="page-size">Per page</label>
            <select id="page-size" className={select} value={query.size} onChange={(e) => table.setPageSize(Number(e.target.value))}>
                {pageSizes.map((n) => (
                  <option key={n}>{n}</option>
                ))}
            </select>
            <button type="button" className="btn" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>
              ← Previous
            </button>
            <button type="button" className="btn" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>
              Next →
            </button>
          </div>
        </div>
      </Panel>
    </>
  );
}
