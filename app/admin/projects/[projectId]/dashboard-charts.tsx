"use client";

import { Bar, BarChart, CartesianGrid, Cell, LabelList, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { rubricGrades } from "../../../../server/annotation/submission";
import { percent } from "../../../components/format";
import { Panel } from "../../../components/panel";
import { rubricText } from "../../../label/[projectId]/response-labels";
import type { Dashboard } from "../types";

const axisTick = { fontSize: 11, fill: "#64748b" };
const grid = "#e2e8f0";

export const policyColour: Record<string, string> = { allowed: "#16a34a", sensitive: "#f59e0b", disallowed: "#dc2626" };
const rubricColour: Record<(typeof rubricGrades)[number], string> = { A: "#0284c7", B: "#f59e0b", C: "#dc2626", D: "#16a34a" };

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="flex h-40 items-center justify-center rounded-md border border-dashed border-slate-200 text-sm text-slate-500">{children}</p>;
}

const hourLabel = (d: Date) => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

export function LabelsPerHourChart({ series }: { series: Dashboard["labelsPerHour"] }) {
  const data = series.map((p) => ({ hour: p.hour.getTime(), labels: p.labels }));
  const total = data.reduce((n, p) => n + p.labels, 0);
  const last = data[data.length - 1]?.labels ?? 0;
  return (
    <Panel title="Labels per hour" actions={<span className="text-sm text-slate-500">{total} in the last 48 hours · {last} this hour</span>}>
      {total === 0 ? (
        <Empty>No labels in the last 48 hours.</Empty>
      ) : (
        <BarChart responsive data={data} style={{ width: "100%", height: 200 }} margin={{ top: 4, right: 28, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke={grid} />
          <XAxis
            dataKey="hour"
            tick={axisTick}
            tickLine={false}
            axisLine={{ stroke: grid }}
            interval={5}
            tickFormatter={(t: number) => {
              const d = new Date(t);
              // Midnight shows the day, so a 48-hour axis says which day it is in.
              return d.getHours() === 0 ? d.toLocaleDateString(undefined, { weekday: "short" }) : hourLabel(d);
            }}
          />
          <YAxis allowDecimals={false} tick={axisTick} tickLine={false} axisLine={false} />
          <Tooltip
            cursor={{ fill: "#eef2ff" }}
            labelFormatter={(t) => new Date(Number(t)).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })}
            formatter={(v) => [v, "labels"]}
          />
          <Bar dataKey="labels" fill="#6366f1" radius={[2, 2, 0, 0]} isAnimationActive={false} />
        </BarChart>
      )}
    </Panel>
  );
}

const policyOrder = ["allowed", "sensitive", "disallowed", "(none)"];

export function PolicyMixChart({ mix }: { mix: Dashboard["policyMix"] }) {
  const total = mix.reduce((n, p) => n + p.annotations, 0);
  const data = [...mix]
    .sort((a, b) => policyOrder.indexOf(a.policy) - policyOrder.indexOf(b.policy))
    .map((p) => ({ ...p, share: total ? p.annotations / total : 0 }));
  return (
    <Panel title="Safety-policy mix" actions={<span className="text-sm text-slate-500">prompt policy, {total} annotations</span>}>
      {total === 0 ? (
        <Empty>No annotations yet.</Empty>
      ) : (
        <BarChart
          responsive
          layout="vertical"
          data={data}
          style={{ width: "100%", height: 48 + data.length * 36 }}
          margin={{ top: 0, right: 56, bottom: 0, left: 8 }}
        >
          <CartesianGrid horizontal={false} stroke={grid} />
          <XAxis type="number" allowDecimals={false} tick={axisTick} tickLine={false} axisLine={{ stroke: grid }} />
          <YAxis type="category" dataKey="policy" tick={{ ...axisTick, fontSize: 12, fill: "#334155" }} tickLine={false} axisLine={false} width={80} />
          <Tooltip cursor={{ fill: "#f1f5f9" }} formatter={(v, _name, item) => [`${v} (${percent((item.payload as { share: number }).share)})`, "annotations"]} />
          <Bar dataKey="annotations" radius={[0, 3, 3, 0]} isAnimationActive={false} barSize={22}>
            {data.map((p) => (
              <Cell key={p.policy} fill={policyColour[p.policy] ?? "#94a3b8"} />
            ))}
            <LabelList dataKey="share" position="right" formatter={(v) => percent(Number(v))} style={{ fontSize: 12, fill: "#334155" }} />
          </Bar>
        </BarChart>
      )}
    </Panel>
  );
}

export function RubricByModelChart({ rows }: { rows: Dashboard["rubricByModel"] }) {
  const data = rows.map((r) => ({ ...r, total: r.A + r.B + r.C + r.D }));
  return (
    <Panel title="Safety rubric by model" actions={<span className="text-sm text-slate-500">share of graded responses</span>}>
      {data.length === 0 ? (
        <Empty>No rubric grades yet: they are given on sensitive and disallowed prompts.</Empty>
      ) : (
        <BarChart
          responsive
          layout="vertical"
          data={data}
          stackOffset="expand"
          style={{ width: "100%", height: 80 + data.length * 36 }}
          margin={{ top: 0, right: 12, bottom: 0, left: 8 }}
        >
          <CartesianGrid horizontal={false} stroke={grid} />
          <XAxis type="number" tickFormatter={(v: number) => percent(v)} tick={axisTick} tickLine={false} axisLine={{ stroke: grid }} />
          <YAxis
            type="category"
            dataKey="model"
            tick={{ ...axisTick, fontSize: 12, fill: "#334155" }}
            tickLine={false}
            axisLine={false}
            width={130}
            tickFormatter={(m: string) => (m.length > 18 ? `${m.slice(0, 17)}…` : m)}
          />
          <Tooltip
            cursor={{ fill: "#f1f5f9" }}
            formatter={(v, name, item) => {
              const total = (item.payload as { total: number }).total;
              return [`${v} (${percent(Number(v) / total)})`, rubricText[name as keyof typeof rubricText]?.short ? `${name} · ${rubricText[name as keyof typeof rubricText].short}` : name];
            }}
          />
          <Legend
            verticalAlign="top"
            height={28}
            iconType="square"
            formatter={(g: string) => <span className="text-xs text-slate-700">{`${g} · ${rubricText[g as keyof typeof rubricText].short}`}</span>}
          />
          {rubricGrades.map((g) => (
            <Bar key={g} dataKey={g} stackId="rubric" fill={rubricColour[g]} isAnimationActive={false} barSize={22} />
          ))}
        </BarChart>
      )}
    </Panel>
  );
}
