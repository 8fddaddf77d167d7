"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

export function ApiKeysPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const projects = useQuery(trpc.projects.all.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: (k) => (setCreated({ name: k.name, key: k.key }), void invalidate()) }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: invalidate }));

  return (
    <Panel title="API keys">
      <form
        className="flex flex-wrap items-end gap-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const days = String(f.get("expiresInDays") ?? "").trim();
          create.mutate({
            name: String(f.get("name") ?? ""),
            projectIds: f.getAll("projectIds").map(String),
            scopes: f.getAll("scopes").map(String) as ("read" | "write")[],
            expiresInDays: days ? Number(days) : null,
          });
        }}
      >
        <label className="space-y-1">
          <span className="block font-medium">Name</span>
          <input name="name" required placeholder="e.g. reward-model trainer" className="rounded border border-slate-300 px-2 py-1" />
        </label>
        <fieldset className="space-y-1">
          <legend className="font-medium">Projects it may use</legend>
          <div className="flex flex-wrap gap-3">
            {projects.data?.map((p) => (
              <label key={p.id} className="flex items-center gap-1">
                <input type="checkbox" name="projectIds" value={p.id} />
                {p.name}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset className="space-y-1">
          <legend className="font-medium">It may</legend>
          <div className="flex gap-3">
            <label className="flex items-center gap-1">
              <input type="checkbox" name="scopes" value="read" defaultChecked />
              read (export, snapshots)
            </label>
            <label className="flex items-center gap-1">
              <input type="checkbox" name="scopes" value="write" />
              write (import, new snapshots)
            </label>
          </div>
        </fieldset>
        <label className="space-y-1">
          <span className="block font-medium">Expires after (days, optional)</span>
          <input name="expiresInDays" type="number" min={1} max={3650} className="w-28 rounded border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" disabled={create.isPending} className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50">
          Create key
        </button>
      </form>
      <ErrorText message={create.error?.message ?? revoke.error?.message} />
      {created && (
        <div role="status" className="space-y-1 rounded bg-amber-50 p-3 text-sm">
          <p>
            Key <strong>{created.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <pre className="overflow-x-auto rounded bg-white p-2 font-mono text-xs" data-testid="new-api-key">
            {created.key}
          </pre>
        </div>
      )}
      {keys.data?.length ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1 pr-3">Name</th>
                <th className="pr-3">Key</th>
                <th className="pr-3">Projects</th>
                <th className="pr-3">May</th>
                <th className="pr-3">Expires</th>
                <th className="pr-3">Created</th>
                <th className="pr-3">Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} className="border-t border-slate-100">
                  <td className="py-1 pr-3">{k.name}</td>
                  <td className="pr-3 font-mono text-xs">{k.prefix}…</td>
                  <td className="pr-3">{k.projects.map((p) => p.name).join(", ")}</td>
                  <td className="pr-3">{k.scopes.join(", ")}</td>
                  <td className="pr-3">
                    {k.expiresAt ? new Date(k.expiresAt).toLocaleDateString() : "never"}
                    {k.ownerInactive && !k.revokedAt && <span className="block text-xs text-red-700">stopped: {k.createdByName ?? "its owner"} is deactivated</span>}
                  </td>
                  <td className="pr-3">{new Date(k.createdAt).toLocaleDateString()}</td>
                  <td className="pr-3">{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : "never"}</td>
                  <td className="text-right">
                    {k.revokedAt ? (
                      <span className="text-xs text-slate-500">revoked {new Date(k.revokedAt).toLocaleDateString()}</span>
                    ) : (
                      <button
                        type="button"
                        className="rounded border border-red-300 px-2 py-0.5 text-xs text-red-700"
                        onClick={() => {
                          if (window.confirm(`Revoke "${k.name}"? Programs using it stop working at once.`)) revoke.mutate({ keyId: k.id });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="text-sm text-slate-500">No API keys yet.</p>
      )}
    </Panel>
  );
}
