"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client";

/** A labelled choice of the policy versions a project can use (its own and the built-in ones); admins only. */
export function PolicySelect({ label, projectId, value, onChange, empty }: { label: string; projectId: string; value: string; onChange: (id: string) => void; empty?: string }) {
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions({ checkpoints: false }));
  const policies = (models.data ?? []).filter((m) => (m.kind === "policy" || m.kind === "sft") && (!m.projectId || m.projectId === projectId));
  return (
    <label className="flex flex-col">
      {label}
      <select aria-label={label} required={empty === undefined} value={value} onChange={(e) => onChange(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
        {empty !== undefined && <option value="">{empty}</option>}
        {policies.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </select>
    </label>
  );
}
