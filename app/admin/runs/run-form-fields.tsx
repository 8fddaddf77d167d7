"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { dateTime, shortId } from "../../components/format";
import { useTRPC } from "../../trpc/client";

export const inputClass = "mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm";

export function Field({ label, id, error, children }: { label: string; id: string; error?: string; children: React.ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {error && (
        <p className="mt-1 text-xs text-red-700" data-testid={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A select over a fixed list of values, each shown as it is. */
export function ChoiceSelect({ id, label, options, value, onChange, error }: { id: string; label: string; options: readonly string[]; value: string; onChange: (v: string) => void; error?: string }) {
  return (
    <Field label={label} id={id} error={error}>
      <select id={id} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Field>
  );
}

type Project = { id: string; name: string };

export function ProjectSelect({ id, label, value, onChange, projects, error }: { id: string; label: string; value: string; onChange: (v: string) => void; projects: Project[]; error?: string }) {
  return (
    <Field label={label} id={id} error={error}>
      <select id={id} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose…</option>
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The snapshot select's value for "freeze a new snapshot from these filters when the run starts". */
export const newSnapshotValue = "new";

/** A project's snapshots in the formats a field reads, or (with `allowNew`) a new one from filters. */
export function SnapshotSelect({
  id,
  label,
  projectId,
  formats,
  value,
  onChange,
  error,
  allowNew = false,
}: {
  id: string;
  label: string;
  projectId: string;
  formats: readonly string[];
  value: string;
  onChange: (v: string) => void;
  error?: string;
  allowNew?: boolean;
}) {
  const trpc = useTRPC();
  const snapshots = useQuery({ ...trpc.exports.snapshots.queryOptions({ projectId }), enabled: projectId !== "" });
  const usable = snapshots.data?.filter((s) => formats.includes(s.format)) ?? [];
  return (
    <Field label={label} id={id} error={error}>
      <select id={id} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)} disabled={!projectId}>
        <option value="">Choose…</option>
        {allowNew && <option value={newSnapshotValue}>New snapshot, from filters…</option>}
        {usable.map((s) => (
          <option key={s.id} value={s.id}>
            {s.format} · {s.aggregate} · {s.rowCount} rows · {dateTime(s.createdAt)} ({shortId(s.id)})
          </option>
        ))}
      </select>
      {projectId && snapshots.isSuccess && usable.length === 0 && (
        <p className="mt-1 text-xs text-slate-600" data-testid={`${id}-none`}>
          This project has no {formats.join(" or ")} snapshot{allowNew ? ": choose a new one, or" : ";"} create one in{" "}
          <Link href="/admin/exports" className="text-blue-700 underline">
            Exports
          </Link>
          {allowNew ? "." : " first."}
        </p>
      )}
    </Field>
  );
}

type Model = { id: string; name: string; kind: string };

/** Model versions of the kinds a field accepts; `empty` names what leaving it unset means. */
export function ModelSelect({
  id,
  label,
  models,
  kinds,
  value,
  onChange,
  empty,
  error,
}: {
  id: string;
  label: string;
  models: Model[];
  kinds: readonly string[];
  value: string;
  onChange: (v: string) => void;
  empty: string;
  error?: string;
}) {
  return (
    <Field label={label} id={id} error={error}>
      <select id={id} className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{empty}</option>
        {models
          .filter((m) => kinds.includes(m.kind))
          .map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} ({m.kind})
            </option>
          ))}
      </select>
    </Field>
  );
}

export function TextInput({ id, label, value, onChange, error, inputMode }: { id: string; label: string; value: string; onChange: (v: string) => void; error?: string; inputMode?: "numeric" | "decimal" }) {
  return (
    <Field label={label} id={id} error={error}>
      <input id={id} className={inputClass} inputMode={inputMode} value={value} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

/** Filters for a snapshot created when the run starts (a subset of the export filters). */
export function NewSnapshotFilters({
  reviewed,
  minAgreement,
  from,
  onChange,
  errors,
}: {
  reviewed: string;
  minAgreement: string;
  from: string;
  onChange: (k: "snapshotReviewed" | "snapshotMinAgreement" | "snapshotFrom", v: string) => void;
  errors: { snapshotMinAgreement?: string; snapshotFrom?: string };
}) {
  return (
    <div className="grid gap-4 rounded border border-dashed border-slate-300 p-3 sm:grid-cols-3" data-testid="new-snapshot-filters">
      <Field label="Review state" id="run-snapshot-reviewed">
        <select id="run-snapshot-reviewed" className={inputClass} value={reviewed} onChange={(e) => onChange("snapshotReviewed", e.target.value)}>
          <option value="">All labels (rejected never)</option>
          <option value="accepted,corrected">Reviewed: accepted or corrected</option>
        </select>
      </Field>
      <Field label="Min agreement (0–1, optional)" id="run-snapshot-agreement" error={errors.snapshotMinAgreement}>
        <input id="run-snapshot-agreement" className={inputClass} inputMode="decimal" value={minAgreement} onChange={(e) => onChange("snapshotMinAgreement", e.target.value)} />
      </Field>
      <Field label="Labelled since (optional)" id="run-snapshot-from" error={errors.snapshotFrom}>
        <input id="run-snapshot-from" type="date" className={inputClass} value={from} onChange={(e) => onChange("snapshotFrom", e.target.value)} />
      </Field>
    </div>
  );
}
