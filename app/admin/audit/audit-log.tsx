"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { dateTime } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

/** Action families the filter offers; any action can also be typed in full. */
const families = ["", "user.", "project.", "task.", "import.", "snapshot.", "job.", "loop.", "model.", "annotation.", "evaluation.", "evaluation_set.", "api_key."];

function FilterSelect({ label, value, onChange, options }: { label: string; value: string; onChange: (e: React.ChangeEvent<HTMLSelectElement>) => void; options: { value: string; label: string }[] }) {
  return (
    <label>
      {label}
      <select aria-label={label} className="ml-2 rounded border border-slate-300 px-2 py-1" value={value} onChange={onChange}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function AuditLog() {
  const trpc = useTRPC();
  const [actorId, setActorId] = useState("");
  const [action, setAction] = useState("");
  const [projectId, setProjectId] = useState("");
  const users = useQuery(trpc.users.list.queryOptions());
  const projects = useQuery(trpc.projects.all.queryOptions());
  // Pages go back in time: `before` is the last row id of the page before.
  const [pages, setPages] = useState<string[]>([]);
  const before = pages.at(-1);
  const filter = { ...(actorId ? { actorId } : {}), ...(action ? { action } : {}), ...(projectId ? { projectId } : {}), ...(before ? { before } : {}), limit: 100 };
  const log = useQuery(trpc.audit.list.queryOptions(filter));
  const rows = log.data?.rows ?? [];
  const refilter = (set: (v: string) => void) => (e: React.ChangeEvent<HTMLSelectElement>) => {
    set(e.target.value);
    setPages([]);
  };

  return (
    <Panel title="Who changed what">
      <div className="flex flex-wrap gap-3 text-sm">
        <FilterSelect label="Who" value={actorId} onChange={refilter(setActorId)} options={[{ value: "", label: "anyone" }, ...(users.data ?? []).map((u) => ({ value: u.id, label: u.email }))]} />
        <FilterSelect label="Action" value={action} onChange={refilter(setAction)} options={families.map((f) => ({ value: f, label: f ? `${f}*` : "any" }))} />
        <FilterSelect label="Project" value={projectId} onChange={refilter(setProjectId)} options={[{ value: "", label: "any" }, ...(projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))]} />
      </div>
      <ErrorText message={log.error?.message} />
      <table className="w-full text-left text-sm" data-testid="audit-log">
        <thead className="border-b text-xs text-slate-500">
          <tr>
            <th className="py-1">When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Project</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r: AuditRow) => (
            <tr key={r.id} className="border-b align-top last:border-0" data-testid="audit-row">
              <td className="py-1 pr-2 text-xs whitespace-nowrap text-slate-600">{dateTime(new Date(r.at))}</td>
              <td className="pr-2">{r.actor?.email ?? <span className="text-slate-400">the platform</span>}</td>
              <td className="pr-2 font-mono text-xs">{r.action}</td>
              <td className="pr-2 font-mono text-xs">{r.target}</td>
              <td className="pr-2 text-xs">{r.projectName ?? "–"}</td>
              <td className="max-w-md text-xs break-words text-slate-600">
                {r.before !== null && <div>before: {JSON.stringify(r.before)}</div>}
                {r.after !== null && <div>{r.before !== null ? "after: " : ""}{JSON.stringify(r.after)}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !log.isPending && <p className="text-sm text-slate-500">Nothing matches these filters.</p>}
      <div className="flex gap-2">
        {pages.length > 0 && (
          <button type="button" className="btn" onClick={() => setPages((p) => p.slice(0, -1))}>
            Newer entries
          </button>
        )}
        {log.data?.next && (
          <button type="button" className="btn" onClick={() => setPages((p) => [...p, log.data!.next!])}>
            Older entries
          </button>
        )}
      </div>
    </Panel>
  );
}

type AuditRow = {
  id: string;
  action: string;
  target: string;
  projectId: string | null;
  projectName: string | null;
  before: unknown;
  after: unknown;
  at: string | Date;
  actor: { id: string; email: string; name: string } | null;
};
