"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, useSyncExternalStore } from "react";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

const formats = ["pairs", "rankings", "hh", "openai-dpo", "kto", "sft"] as const;
const aggregates = ["raw", "majority", "bradley-terry", "gold-weighted"] as const;
const reviewStates = ["pending", "accepted", "corrected"] as const;
const policies = ["allowed", "sensitive", "disallowed"] as const;
const sources = ["production", "red_team", "model_generated", "imported"] as const;

type Filter = {
  format: (typeof formats)[number];
  aggregate: (typeof aggregates)[number];
  reviewState: string[];
  promptPolicy: string[];
  source: string[];
  model: string;
  from: string;
  to: string;
  minAgreement: string;
  excludeFlagged: boolean;
};

const initial: Filter = { format: "pairs", aggregate: "raw", reviewState: [], promptPolicy: [], source: [], model: "", from: "", to: "", minAgreement: "", excludeFlagged: false };

/** The filter as the API takes it: only what is set. */
function toRequest(f: Filter) {
  return {
    format: f.format,
    aggregate: f.aggregate,
    ...(f.reviewState.length ? { reviewState: f.reviewState } : {}),
    ...(f.promptPolicy.length ? { promptPolicy: f.promptPolicy } : {}),
    ...(f.source.length ? { source: f.source } : {}),
    ...(f.model.trim() ? { model: f.model.split(",").map((m) => m.trim()).filter(Boolean) } : {}),
    ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.to ? { to: new Date(f.to).toISOString() } : {}),
    ...(f.minAgreement !== "" ? { minAgreement: Number(f.minAgreement) } : {}),
    ...(f.excludeFlagged ? { excludeFlagged: true } : {}),
  };
}

/** The request as the export's query string (both the API's and the console's download take it). */
function queryOf(request: ReturnType<typeof toRequest>) {
  return new URLSearchParams(Object.entries(request).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
}

function curlCommand(origin: string, projectId: string, request: ReturnType<typeof toRequest>) {
  return `curl -H "Authorization: Bearer $RLHF_API_KEY" "${origin}/api/v1/projects/${projectId}/export?${queryOf(request)}" > ${projectId}-${request.format}.jsonl`;
}

function Checks({ name, values, selected, onChange }: { name: string; values: readonly string[]; selected: string[]; onChange: (v: string[]) => void }) {
  return (
    <fieldset className="space-y-1 text-sm">
      <legend className="font-medium">{name}</legend>
      <div className="flex flex-wrap gap-3">
        {values.map((v) => (
          <label key={v} className="flex items-center gap-1">
            <input type="checkbox" checked={selected.includes(v)} onChange={(e) => onChange(e.target.checked ? [...selected, v] : selected.filter((s) => s !== v))} />
            {v}
          </label>
        ))}
      </div>
      <p className="text-xs text-slate-500">None checked: all.</p>
    </fieldset>
  );
}

const noSubscription = () => () => {};

export function ExportPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.all.queryOptions());
  const [chosenProjectId, setProjectId] = useState("");
  const projectId = chosenProjectId || projects.data?.[0]?.id || "";
  const [filter, setFilter] = useState<Filter>(initial);
  // The page's own origin, for the curl command; empty while rendering on the server.
  const origin = useSyncExternalStore(noSubscription, () => window.location.origin, () => "");
  const [copied, setCopied] = useState(false);
  const request = useMemo(() => toRequest(filter), [filter]);
  const count = useQuery({ ...trpc.exports.count.queryOptions({ projectId, request }), enabled: !!projectId });
  const snapshots = useQuery({ ...trpc.exports.snapshots.queryOptions({ projectId }), enabled: !!projectId });
  const snapshot = useMutation(
    trpc.exports.createSnapshot.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.exports.snapshots.queryKey({ projectId }) }) }),
  );
  const rebuild = useMutation(
    trpc.exports.rebuildSnapshot.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.exports.snapshots.queryKey({ projectId }) }) }),
  );
  const set = (patch: Partial<Filter>) => {
    setCopied(false);
    setFilter((f) => ({ ...f, ...patch }));
  };
  const curl = projectId ? curlCommand(origin, projectId, request) : "";

  return (
    <Panel title="Export">
      <div className="grid gap-4 md:grid-cols-2">
        <label className="space-y-1 text-sm">
          <span className="block font-medium">Project</span>
          <select value={projectId} onChange={(e) => setProjectId(e.target.value)} className="w-full rounded border border-slate-300 px-2 py-1">
            {projects.data?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.archivedAt ? " (archived)" : ""}
              </option>
            ))}
          </select>
        </label>
        <div className="flex gap-4">
          <label className="space-y-1 text-sm">
            <span className="block font-medium">Format</span>
            <select value={filter.format} onChange={(e) => set({ format: e.target.value as Filter["format"] })} className="rounded border border-slate-300 px-2 py-1">
              {formats.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label className="space-y-1 text-sm">
            <span className="block font-medium">Across annotators</span>
            <select value={filter.aggregate} onChange={(e) => set({ aggregate: e.target.value as Filter["aggregate"] })} className="rounded border border-slate-300 px-2 py-1">
              {aggregates.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
        </div>
        <Checks name="Review state" values={reviewStates} selected={filter.reviewState} onChange={(v) => set({ reviewState: v })} />
        <Checks name="Prompt policy" values={policies} selected={filter.promptPolicy} onChange={(v) => set({ promptPolicy: v })} />
        <Checks name="Prompt source" values={sources} selected={filter.source} onChange={(v) => set({ source: v })} />
        <div className="space-y-3 text-sm">
          <label className="block space-y-1">
            <span className="block font-medium">Model versions (comma-separated)</span>
            <input value={filter.model} onChange={(e) => set({ model: e.target.value })} className="w-full rounded border border-slate-300 px-2 py-1" />
          </label>
          <div className="flex flex-wrap gap-3">
            <label className="space-y-1">
              <span className="block font-medium">From</span>
              <input type="datetime-local" value={filter.from} onChange={(e) => set({ from: e.target.value })} className="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label className="space-y-1">
              <span className="block font-medium">To</span>
              <input type="datetime-local" value={filter.to} onChange={(e) => set({ to: e.target.value })} className="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label className="space-y-1">
              <span className="block font-medium">Min. agreement</span>
              <input type="number" min={0} max={1} step={0.05} value={filter.minAgreement} onChange={(e) => set({ minAgreement: e.target.value })} className="w-24 rounded border border-slate-300 px-2 py-1" />
            </label>
          </div>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={filter.excludeFlagged} onChange={(e) => set({ excludeFlagged: e.target.checked })} />
            Leave out annotators flagged by gold accuracy
          </label>
        </div>
      </div>

      <div className="flex flex-wrap items-center gap-4 border-t border-slate-200 pt-4">
        <p className="text-sm" data-testid="export-row-count" aria-live="polite">
          {count.isFetching ? "Counting…" : count.data ? `${count.data.rows.toLocaleString()} records` : ""}
        </p>
        {projectId && (
          <>
            <a className="btn btn-primary" href={`/api/projects/${projectId}/export?${queryOf(request)}`} download data-testid="export-download">
              Download .jsonl
            </a>
            <a className="btn" href={`/api/projects/${projectId}/export?${queryOf(request)}&gzip=1`} download>
              Download .jsonl.gz
            </a>
          </>
        )}
        <button
          type="button"
          className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50"
          disabled={!projectId || snapshot.isPending}
          onClick={() => snapshot.mutate({ projectId, request })}
        >
          {snapshot.isPending ? "Freezing…" : "Create snapshot"}
        </button>
      </div>
      <ErrorText message={count.error?.message ?? snapshot.error?.message ?? rebuild.error?.message} />
      {curl && (
        <div className="space-y-1">
          <div className="flex items-center justify-between text-sm">
            <span className="font-medium">Stream it with curl (needs an API key for this project)</span>
            <button
              type="button"
              className="rounded border border-slate-300 px-2 py-1 text-xs"
              onClick={() => void navigator.clipboard.writeText(curl).then(() => setCopied(true))}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <pre className="overflow-x-auto rounded bg-slate-100 p-3 text-xs" data-testid="export-curl">
            {curl}
          </pre>
        </div>
      )}

      <h3 className="pt-2 text-sm font-semibold">Snapshots</h3>
      {snapshots.data?.length ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3">Created</th>
                <th className="pr-3">Format</th>
                <th className="pr-3">Merge</th>
                <th className="pr-3">Rows</th>
                <th className="pr-3">sha256</th>
                <th className="pr-3">By</th>
                <th className="pr-3">Download</th>
              </tr>
            </thead>
            <tbody>
              {snapshots.data.map((s) => (
                <tr key={s.id} className="border-t border-slate-100" data-testid="snapshot-row">
                  <td className="py-1 pr-3">
                    {new Date(s.createdAt).toLocaleString()}
                    {s.containsDeletedData && (
                      <span data-testid="deleted-data-mark" className="ml-2 inline-block rounded bg-rose-100 px-2 py-0.5 text-xs text-rose-800" title={`Deletions ${s.containsDeletedData.deletionIds.join(", ")}`}>
                        holds deleted data{s.replacedBy.length ? " · rebuilt" : ""}
                      </span>
                    )}
                    {s.replaces && (
                      <span data-testid="rebuild-mark" className="ml-2 inline-block rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700" title={`Deletions ${s.replaces.deletionIds.join(", ")}`}>
                        replaces {s.replaces.snapshotId.slice(0, 8)}
                      </span>
                    )}
                  </td>
                  <td className="pr-3">{s.format}</td>
                  <td className="pr-3">{s.aggregate}</td>
                  <td className="pr-3">{s.rowCount.toLocaleString()}</td>
                  <td className="pr-3 font-mono text-xs" title={s.sha256}>
                    {s.sha256.slice(0, 12)}…
                  </td>
                  <td className="pr-3">{s.createdBy ?? ""}</td>
                  <td className="space-x-2 pr-3 whitespace-nowrap">
                    <a className="underline" href={`/api/projects/${projectId}/snapshots/${s.id}/file`} download>
                      file
                    </a>
                    <a className="underline" href={`/api/projects/${projectId}/snapshots/${s.id}/manifest`} download>
                      manifest
                    </a>
                    {s.containsDeletedData && !s.replacedBy.length && (
                      <button type="button" className="underline" disabled={rebuild.isPending} onClick={() => rebuild.mutate({ projectId, snapshotId: s.id })}>
                        Rebuild without deleted data
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="text-sm text-slate-500">No snapshots of this project yet.</p>
      )}
      <p className="text-xs text-slate-500">
        Scripts fetch the same files with an API key: <code>GET /api/v1/projects/{"{projectId}"}/snapshots/{"{snapshotId}"}/file</code>; the API is described in{" "}
        <a className="underline" href="/api/v1/openapi.json">
          openapi.json
        </a>
        .
      </p>
    </Panel>
  );
}
