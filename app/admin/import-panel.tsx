"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorText, Panel } from "../components/panel";
import { useTRPC } from "../trpc/client";

type Summary = {
  imported: number;
  duplicates: number;
  rowsRead: number;
  committed: boolean;
  errors: { line: number; error: string }[];
};

const layouts = [
  { value: "tasks", label: "Tasks: {prompt, responses[]}" },
  { value: "pairs", label: "Pairs: {prompt, chosen, rejected}" },
  { value: "hh", label: "HH: {chosen, rejected} transcripts" },
  { value: "kto", label: "KTO: {prompt, completion, label} thumbs up/down, not ranked" },
];

/**
 * Uploads a JSONL file to the streaming import endpoint and shows what became of each row. On a
 * project's page it is fixed to that project (`projectId`); on the admin home it offers a choice.
 */
export function ImportPanel({ projectId: fixedProjectId }: { projectId?: string } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useQuery({ ...trpc.projects.list.queryOptions(), enabled: !fixedProjectId });
  const [projectId, setProjectId] = useState<string>("");
  const selected = fixedProjectId ?? (projectId || projects.data?.[0]?.id || "");
  const history = useQuery({ ...trpc.imports.list.queryOptions({ projectId: selected }), enabled: Boolean(selected) });
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) {
      // The previous import's result must not read as this one's.
      setSummary(null);
      setError("Choose a non-empty .jsonl file");
      return;
    }
    const params = new URLSearchParams({
      layout: String(form.get("layout")),
      strict: form.get("strict") ? "1" : "0",
      filename: file.name,
    });
    setPending(true);
    setError(null);
    setSummary(null);
    try {
      const res = await fetch(`/api/projects/${selected}/import?${params}`, { method: "POST", body: file });
      const body = await res.json();
      if (body.error) setError(body.error.message);
      else setSummary(body as Summary);
      await queryClient.invalidateQueries({ queryKey: trpc.imports.list.queryKey() });
      // Task counts, progress and dashboards all change with new tasks.
      await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
    } catch {
      setError("The upload did not reach the server; check the connection and try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <Panel title={fixedProjectId ? "Import tasks into this project" : "Import data"}>
      <form className="flex flex-wrap items-end gap-3 text-sm" onSubmit={onSubmit}>
        {!fixedProjectId && (
          <div className="space-y-1">
            <label htmlFor="import-project" className="block font-medium">
              Project
            </label>
            <select id="import-project" value={selected} onChange={(e) => setProjectId(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
              {projects.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} (K={p.k}, {p.progress.total} tasks)
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="space-y-1">
          <label htmlFor="import-layout" className="block font-medium">
            Layout
          </label>
          <select id="import-layout" name="layout" defaultValue="tasks" className="rounded border border-slate-300 px-2 py-1">
            {layouts.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <label htmlFor="import-file" className="block font-medium">
            JSONL file
          </label>
          <input id="import-file" name="file" type="file" accept=".jsonl,.json,.txt,application/x-ndjson" className="text-sm" />
        </div>
        <label className="flex items-center gap-2">
          <input type="checkbox" name="strict" /> Strict (one bad row imports nothing)
        </label>
        <button type="submit" disabled={pending || !selected} className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50">
          {pending ? "Importing…" : "Import"}
        </button>
      </form>
      <ErrorText message={error ?? projects.error?.message ?? history.error?.message} />
      {summary && (
        <div className="space-y-2 text-sm" data-testid="import-summary">
          <p className={summary.committed ? "text-green-800" : "text-red-700"}>
            {summary.committed
              ? `Imported ${summary.imported} of ${summary.rowsRead} rows; ${summary.duplicates} already present.`
              : `Nothing imported: strict mode and ${summary.errors.length} bad row(s).`}
          </p>
          {summary.errors.length > 0 && (
            <ul className="max-h-48 overflow-auto rounded border border-red-200 bg-red-50 p-2 font-mono text-xs">
              {summary.errors.map((e) => (
                <li key={e.line}>
                  line {e.line}: {e.error}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {history.data && history.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b text-slate-500">
              <tr>
                <th className="py-2">When</th>
                <th>File</th>
                <th>Layout</th>
                <th>Rows</th>
                <th>Imported</th>
                <th>Duplicates</th>
                <th>Bad rows</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((b) => (
                <tr key={b.id} className="border-b last:border-0">
                  <td className="py-1">{b.createdAt.toLocaleString()}</td>
                  <td>{b.filename ?? "—"}</td>
                  <td>{b.layout}</td>
                  <td>{b.rowsRead}</td>
                  <td>{b.imported}</td>
                  <td>{b.duplicates}</td>
                  <td>{Array.isArray(b.errors) ? b.errors.length : 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
