"use client";

import { Area, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, Scatter, Tooltip, XAxis, YAxis } from "recharts";
import type { Forecast } from "../../../server/forecast/forecast-result";
import { compactTick } from "./compact-tick";
import { morePairsSentence, targetSentence } from "./forecast-answers";
import { forecastRows, targetLine } from "./forecast-series";

const axisTick = { fontSize: 11, fill: "#64748b" };
const grid = "#e2e8f0";
const percent = (v: number) => `${Math.round(v * 100)} %`;

/** Held-out accuracy against training pairs (log scale): the measured runs, the fit, its bands and the target. */
export function ForecastChart({ forecast }: { forecast: Forecast }) {
  const { rows, hasRunBand } = forecastRows(forecast);
  const target = targetLine(forecast);
  return (
    <figure className="rounded-md border border-slate-200 p-3" data-testid="forecast-chart" data-points={forecast.points.length}>
      <figcaption className="mb-1 text-sm font-medium text-slate-700">Held-out accuracy against training pairs</figcaption>
      <ComposedChart responsive data={rows} style={{ width: "100%", height: 260 }} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={grid} vertical={false} />
        <XAxis dataKey="n" type="number" scale="log" domain={["dataMin", "dataMax"]} tick={axisTick} tickLine={false} axisLine={{ stroke: grid }} tickFormatter={compactTick} />
        <YAxis tick={axisTick} tickLine={false} axisLine={false} domain={[0, 1]} width={48} tickFormatter={percent} />
        <Tooltip
          labelFormatter={(n) => `${Math.round(Number(n)).toLocaleString("en-US")} pairs`}
          formatter={(v) => (typeof v === "number" ? percent(v) : Array.isArray(v) ? v.map((x) => percent(Number(x))).join("–") : v)}
        />
        <Legend wrapperStyle={{ fontSize: 11 }} />
        {hasRunBand && <Area dataKey="runBand" name="one new run, 95 %" stroke="none" fill="#bfdbfe" fillOpacity={0.4} connectNulls isAnimationActive={false} />}
        <Area dataKey="band" name="fit, 95 %" stroke="none" fill="#60a5fa" fillOpacity={0.4} connectNulls isAnimationActive={false} />
        <Line dataKey="fit" name="fit" stroke="#2563eb" dot={false} connectNulls isAnimationActive={false} />
        {/* Its own rows: a grid point without a measurement would be plotted at no height. */}
        <Scatter data={rows.filter((r) => r.measured !== undefined)} dataKey="measured" name="measured" fill="#ea580c" isAnimationActive={false} />
        {target !== null && <ReferenceLine y={target} stroke="#16a34a" strokeDasharray="4 4" label={{ value: `target ${percent(target)}`, fontSize: 11, fill: "#16a34a", position: "insideTopLeft" }} />}
      </ComposedChart>
    </figure>
  );
}

/** The forecast's answers in words, and what it was measured on. */
export function ForecastAnswers({ forecast }: { forecast: Forecast }) {
  const answers = [targetSentence(forecast), morePairsSentence(forecast)].filter((s) => s !== null);
  const heldOut = forecast.points[0]?.eval_pairs ?? 0;
  return (
    <div className="space-y-1 text-sm" data-testid="forecast-answers">
      {answers.length === 0 ? <p className="text-slate-500">The run was asked no question (target accuracy, more pairs); the curve is below.</p> : answers.map((a) => <p key={a}>{a}</p>)}
      <p className="text-xs text-slate-500">
        {forecast.points.length} runs on {forecast.points.map((p) => p.train_pairs.toLocaleString("en-US")).join(", ")} pairs, each measured on the same {heldOut.toLocaleString("en-US")} held-out pairs; a
        power law with a floor through them, bands from {forecast.error.succeeded} bootstrap refits. The held-out set also picked each run&apos;s best step, so the figures lean a little optimistic.
      </p>
    </div>
  );
}
