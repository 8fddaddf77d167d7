// A measured figure with its 95 % interval, and a difference between two, as the console shows them.
import type { ComparedMetric, Estimate } from "../../server/evaluation/results";
import { noValue } from "./format";

export function formatValue(x: number | null | undefined, percent: boolean, signed = false): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return noValue;
  const sign = signed && x > 0 ? "+" : "";
  return percent ? `${sign}${(x * 100).toFixed(1)} %` : `${sign}${x.toFixed(3)}`;
}

/** "12.0 % (8.1 – 17.3 %)": the value, then its 95 % interval. */
export function EstimateText({ e, percent }: { e: Estimate | null | undefined; percent: boolean }) {
  if (!e || !Number.isFinite(e.value)) return <span className="text-slate-400">{noValue}</span>;
  return (
    <span className="whitespace-nowrap">
      <span className="font-mono">{formatValue(e.value, percent)}</span>{" "}
      <span className="text-xs text-slate-500" title="95 % interval">
        ({formatValue(e.lo, percent)} – {formatValue(e.hi, percent)})
      </span>
    </span>
  );
}

const changeStyle = { better: "bg-emerald-100 text-emerald-800", worse: "bg-red-100 text-red-800", same: "bg-slate-100 text-slate-600" } as const;
const changeWords = { better: "better", worse: "worse", same: "no clear change" } as const;

/** The difference with its interval, marked when the interval excludes zero. */
export function DifferenceText({ row }: { row: Pick<ComparedMetric, "difference" | "percent" | "change"> }) {
  const d = row.difference;
  if (!d) return <span className="text-slate-400">{noValue}</span>;
  return (
    <span className="whitespace-nowrap" data-significant={d.significant}>
      <span className={`font-mono ${d.significant ? "font-semibold" : ""}`}>{formatValue(d.value, row.percent, true)}</span>{" "}
      <span className="text-xs text-slate-500">
        ({formatValue(d.lo, row.percent, true)} – {formatValue(d.hi, row.percent, true)})
      </span>
      {row.change && <span className={`ml-1 rounded px-1.5 py-0.5 text-xs ${changeStyle[row.change]}`}>{changeWords[row.change]}</span>}
      {!row.change && d.significant && <span className="ml-1 rounded bg-sky-100 px-1.5 py-0.5 text-xs text-sky-800">interval excludes 0</span>}
    </span>
  );
}
