"use client";

import {
  createColumnHelper,
  createSortedRowModel,
  rowPaginationFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  sortFn_datetime,
  sortFn_text,
  tableFeatures,
  type ReactTable,
  type RowData,
} from "@tanstack/react-table";

export type ColumnMeta = {
  /** Numbers line up on the right. */
  align?: "right";
  /** Short explanation of the column, shown on hover of its header. */
  hint?: string;
};

/**
 * The one feature set every console table uses: sorting (client-side through the sorted row
 * model, or server-side with manualSorting) and pagination (only ever server-side here, so no
 * paginated row model is registered).
 */
export const tableFeatureSet = tableFeatures({
  rowSortingFeature,
  rowPaginationFeature,
  sortedRowModel: createSortedRowModel(),
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic, datetime: sortFn_datetime, text: sortFn_text },
  columnMeta: {} as ColumnMeta,
});
export type TableFeatureSet = typeof tableFeatureSet;

export function columnHelperFor<TData extends RowData>() {
  return createColumnHelper<TableFeatureSet, TData>();
}

const sortArrow = { asc: "▲", desc: "▼" } as const;

/**
 * Renders a react-table instance: header buttons that sort (announced through aria-sort), an
 * optional row click, and an empty state. Wide tables scroll inside their own box, not the page.
 */
export function DataTable<TData extends RowData>({
  table,
  empty,
  caption,
  rowTestId,
  rowClassName,
  onRowClick,
}: {
  table: ReactTable<TableFeatureSet, TData, unknown>;
  empty: React.ReactNode;
  caption?: string;
  rowTestId?: string;
  rowClassName?: (row: TData) => string;
  /** Mouse convenience only: every row also has a real link for keyboards and new tabs. */
  onRowClick?: (row: TData) => void;
}) {
  const rows = table.getRowModel().rows;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead className="border-b border-slate-200 text-slate-500">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const column = header.column;
                const meta = column.columnDef.meta;
                const sorted = column.getIsSorted();
                const right = meta?.align === "right";
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                    title={meta?.hint}
                    className={`whitespace-nowrap py-2 pr-3 font-medium last:pr-0 ${right ? "text-right" : ""}`}
                  >
                    {header.isPlaceholder ? null : column.getCanSort() ? (
                      <button
                        type="button"
                        onClick={column.getToggleSortingHandler()}
                        className={`inline-flex items-center gap-1 rounded hover:text-slate-900 ${sorted ? "text-slate-900" : ""}`}
                      >
                        <table.FlexRender header={header} />
                        <span aria-hidden className={`text-[0.6rem] ${sorted ? "" : "text-slate-300"}`}>
                          {sorted ? sortArrow[sorted] : "▲▼"}
                        </span>
                      </button>
                    ) : (
                      <table.FlexRender header={header} />
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={row.id}
              data-testid={rowTestId}
              onClick={
                onRowClick
                  ? (e) => {
                      // A click on the row's own link or button already does its job.
                      if (!(e.target as Element).closest("a, button, input, select, label")) onRowClick(row.original);
                    }
                  : undefined
              }
              className={`border-b border-slate-100 last:border-0 ${onRowClick ? "cursor-pointer hover:bg-slate-50" : ""} ${rowClassName?.(row.original) ?? ""}`}
            >
              {row.getAllCells().map((cell) => (
                <td key={cell.id} className={`py-2 pr-3 align-middle last:pr-0 ${cell.column.columnDef.meta?.align === "right" ? "text-right tabular-nums" : ""}`}>
                  <table.FlexRender cell={cell} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <div className="py-6 text-center text-sm text-slate-500">{empty}</div>}
    </div>
  );
}
