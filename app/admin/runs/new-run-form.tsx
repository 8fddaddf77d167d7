"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { dateTime, shortId } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

/** The trainer's own defaults (workers/trainer/trainer/commands/reward.py), shown so nothing is hidden. */
const defaults = { epochs: "1", batchSize: "8", lr: "0.00001", margin: "none" };
const margins = ["none", "small", "large"] as const;
const rewardSnapshotFormats = ["rankings", "pairs"];

type Fields = typeof defaults & { projectId: string; snapshotId: string; baseModelId: string; name: string };
type FieldErrors = Partial<Record<keyof Fields, string>>;

/** Checks the form before it is sent; the server checks again (and that the inputs exist and fit). */
export function validateRunForm(f: Fields): FieldErrors {
  const errors: FieldErrors = {};
  if (!f.projectId) errors.projectId = "Choose a project";
  if (!f.snapshotId) errors.snapshotId = "Choose a snapshot";
  const epochs = Number(f.epochs);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 10_000) errors.epochs = "Epochs must be a whole number from 1 to 10000";
  const batch = Number(f.batchSize);
  if (!Number.isInteger(batch) || batch < 1 || batch > 65_536) errors.batchSize = "Batch size must be a whole number from 1 to 65536";
  const lr = Number(f.lr);
  if (f.lr.trim() === "" || !Number.isFinite(lr) || lr <= 0 || lr > 1) errors.lr = "Learning rate must be a number in (0, 1]";
  if (!(margins as readonly string[]).includes(f.margin)) errors.margin = "Margin is none, small or large";
  return errors;
}

const inputClass = "mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm";

function Field({ label, id, error, children }: { label: string; id: string; error?: string; children: React.ReactNode }) {
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

export function NewRunForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [f, setF] = useState<Fields>({ ...defaults, projectId: "", snapshotId: "", baseModelId: "", name: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = (k: keyof Fields) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setF((prev) => ({ ...prev, [k]: e.target.value }));

  const projects = useQuery(trpc.projects.all.queryOptions());
  const snapshots = useQuery({ ...trpc.exports.snapshots.queryOptions({ projectId: f.projectId }), enabled: f.projectId !== "" });
  const models = useQuery(trpc.models.list.queryOptions({ limit: 500 }));
  const usableSnapshots = snapshots.data?.filter((s) => rewardSnapshotFormats.includes(s.format)) ?? [];
  const baseModels = models.data?.filter((m) => m.kind === "base" || m.kind === "reward") ?? [];

  const start = useMutation(
    trpc.runs.start.mutationOptions({
      onSuccess: async (job) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.list.queryKey() });
        router.push(`/admin/runs/${job.id}`);
      },
    }),
  );

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const found = validateRunForm(f);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    start.mutate({
      kind: "train_reward",
      payload: {
        snapshotId: f.snapshotId,
        ...(f.baseModelId ? { baseModelId: f.baseModelId } : {}),
        ...(f.name.trim() ? { name: f.name.trim() } : {}),
        config: { epochs: Number(f.epochs), batch_size: Number(f.batchSize), lr: Number(f.lr), margin: f.margin as (typeof margins)[number] },
      },
    });
  }

  return (
    <Panel title="New reward-model run">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Project" id="run-project" error={errors.projectId}>
            <select id="run-project" className={inputClass} value={f.projectId} onChange={(e) => setF((p) => ({ ...p, projectId: e.target.value, snapshotId: "" }))}>
              <option value="">Choose…</option>
              {projects.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Snapshot" id="run-snapshot" error={errors.snapshotId}>
            <select id="run-snapshot" className={inputClass} value={f.snapshotId} onChange={set("snapshotId")} disabled={!f.projectId}>
              <option value="">Choose…</option>
              {usableSnapshots.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.format} · {s.aggregate} · {s.rowCount} rows · {dateTime(s.createdAt)} ({shortId(s.id)})
                </option>
              ))}
            </select>
            {f.projectId && snapshots.isSuccess && usableSnapshots.length === 0 && (
              <p className="mt-1 text-xs text-slate-600" data-testid="no-snapshot-note">
                This project has no rankings or pairs snapshot; create one in{" "}
                <Link href="/admin/exports" className="text-blue-700 underline">
                  Exports
                </Link>{" "}
                first.
              </p>
            )}
          </Field>
          <Field label="Base model" id="run-base-model">
            <select id="run-base-model" className={inputClass} value={f.baseModelId} onChange={set("baseModelId")}>
              <option value="">Default (built-in encoder)</option>
              {baseModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.kind})
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="grid gap-4 sm:grid-cols-5">
          <Field label="Epochs" id="run-epochs" error={errors.epochs}>
            <input id="run-epochs" className={inputClass} inputMode="numeric" value={f.epochs} onChange={set("epochs")} />
          </Field>
          <Field label="Batch size" id="run-batch-size" error={errors.batchSize}>
            <input id="run-batch-size" className={inputClass} inputMode="numeric" value={f.batchSize} onChange={set("batchSize")} />
          </Field>
          <Field label="Learning rate" id="run-lr" error={errors.lr}>
            <input id="run-lr" className={inputClass} inputMode="decimal" value={f.lr} onChange={set("lr")} />
          </Field>
          <Field label="Margin" id="run-margin" error={errors.margin}>
            <select id="run-margin" className={inputClass} value={f.margin} onChange={set("margin")}>
              {margins.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Model name (optional)" id="run-name">
            <input id="run-name" className={inputClass} value={f.name} onChange={set("name")} />
          </Field>
        </div>
        <ErrorText message={start.error?.message ?? projects.error?.message ?? models.error?.message} />
        <button type="submit" disabled={start.isPending} className="rounded bg-slate-900 px-4 py-1.5 text-sm text-white hover:bg-slate-700 disabled:opacity-50">
          {start.isPending ? "Starting…" : "Start run"}
        </button>
      </form>
    </Panel>
  );
}
