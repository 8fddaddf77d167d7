"use client";

import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { compactTick } from "./compact-tick";
import { chartRows, valueDomain, type Point } from "./metric-series";

const axisTick = { fontSize: 11, fill: "#64748b" };
const grid = "#e2e8f0";

export type ChartRun = { key: string; label: string; colour: string; points: Point[] };

/** One metric's curve per run, overlaid on a shared step axis. */
export function MetricChart({ name, runs }: { name: string; runs: ChartRun[] }) {
  const data = chartRows(runs);
  const points = runs.reduce((n, r) => n + r.points.length, 0);
  return (
    <figure className="rounded-md border border-slate-200 p-3" data-testid="metric-chart" data-metric={name} data-points={points}>
      <figcaption className="mb-1 flex justify-between text-sm font-medium text-slate-700">
        <span>{name}</span>
        <span className="text-xs font-normal text-slate-500">
          {points} {points === 1 ? "point" : "points"}
        </span>
      </figcaption>
      <LineChart responsive data={data} style={{ width: "100%", height: 180 }} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={grid} vertical={false} />
        <XAxis dataKey="step" type="number" domain={["dataMin", "dataMax"]} allowDecimals={false} tick={axisTick} tickLine={false} axisLine={{ stroke: grid }} />
        <YAxis tick={axisTick} tickLine={false} axisLine={false} domain={valueDomain(runs)} width={56} tickFormatter={compactTick} />
        <Tooltip labelFormatter={(s) => `step ${String(s)}`} formatter={(v) => (typeof v === "number" ? Number(v.toPrecision(4)) : v)} />
        {runs.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
        {runs.map((r) => (
          <Line key={r.key} dataKey={r.key} name={r.label} stroke={r.colour} dot={r.points.length < 30} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </figure>
  );
}
