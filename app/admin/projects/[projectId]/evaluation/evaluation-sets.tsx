"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ErrorText, Panel } from "../../../../components/panel";
import { useTRPC } from "../../../../trpc/client";

const policies = ["allowed", "sensitive", "disallowed"] as const;
type Policy = (typeof policies)[number];

function useInvalidate() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.evaluation.sets.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.evaluation.set.queryKey() })]);
}

function NewSetForm({ projectId, onCreated }: { projectId: string; onCreated: (id: string) => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.evaluation.createSet.mutationOptions({
      onSuccess: async (set) => {
        setName("");
        await invalidate();
        onCreated(set.id);
      },
    }),
  );
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) create.mutate({ projectId, name: name.trim() });
      }}
    >
      <label className="text-sm">
        New set
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Safety regression set" maxLength={200} className="ml-2 rounded border border-slate-300 px-2 py-1" />
      </label>
      <button type="submit" className="btn" disabled={!name.trim() || create.isPending}>
        Create
      </button>
      <ErrorText message={create.error?.message} />
    </form>
  );
}

function AddPrompts({ setId }: { setId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [text, setText] = useState("");
  const [policy, setPolicy] = useState<Policy>("allowed");
  const [harmCategory, setHarmCategory] = useState("");
  const add = useMutation(trpc.evaluation.addPrompts.mutationOptions({ onSuccess: async () => (setText(""), await invalidate()) }));
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ setId, prompts: lines.map((content) => ({ messages: [{ role: "user", content }], policy, harmCategory: harmCategory.trim() || null })) });
      }}
    >
      <label className="block text-sm">
        Add prompts, one per line
        <textarea value={text} onChange={(e) => setText(e.target.value)} rows={4} className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 font-mono text-sm" />
      </label>
      <div className="flex flex-wrap items-end gap-2">
        <label className="text-sm">
          Policy of these prompts
          <select aria-label="Policy of the new prompts" value={policy} onChange={(e) => setPolicy(e.target.value as Policy)} className="ml-2 rounded border border-slate-300 px-2 py-1">
            {policies.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="text-sm">
          Harm category (optional)
          <input value={harmCategory} onChange={(e) => setHarmCategory(e.target.value)} maxLength={100} className="ml-2 rounded border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" className="btn btn-primary" disabled={!lines.length || add.isPending}>
          Add {lines.length || ""} prompt{lines.length === 1 ? "" : "s"}
        </button>
        {add.data && (
          <span className="text-sm text-slate-600" role="status">
            {add.data.added} added{add.data.skipped ? `, ${add.data.skipped} already in the set` : ""}.
          </span>
        )}
      </div>
      <ErrorText message={add.error?.message} />
    </form>
  );
}

function SetPrompts({ setId }: { setId: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const set = useQuery(trpc.evaluation.set.queryOptions({ setId }));
  const update = useMutation(trpc.evaluation.updatePrompt.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.evaluation.removePrompt.mutationOptions({ onSuccess: invalidate }));
  if (set.error) return <ErrorText message={set.error.message} />;
  const s = set.data;
  if (!s) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <Panel title={`${s.name} · version ${s.version}`}>
      <p className="text-sm text-slate-600">
        Every policy of the project is evaluated on these prompts after it is trained or promoted. Each edit makes a new version; evaluations record the version
        they ran on.
      </p>
      <AddPrompts setId={s.id} />
      <ErrorText message={update.error?.message ?? remove.error?.message} />
      <table className="w-full text-left text-sm" data-testid="evaluation-prompts">
        <thead className="border-b text-xs text-slate-500">
          <tr>
            <th className="py-1">Prompt</th>
            <th>Policy</th>
            <th>Harm category</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {s.prompts.map((p) => (
            <tr key={p.id} className="border-b align-top last:border-0" data-testid="evaluation-prompt">
              <td className="max-w-xl py-1 pr-2">
                <span className="whitespace-pre-wrap break-words">{p.messages.map((m) => (p.messages.length > 1 ? `${m.role}: ${m.content}` : m.content)).join("\n")}</span>
                {p.alsoLabelled && <p className="text-xs text-amber-800">Also a labelling prompt of this project: models trained on its labels may have seen it.</p>}
              </td>
              <td className="py-1 pr-2">
                <select
                  aria-label="Prompt policy"
                  value={p.policy}
                  disabled={update.isPending}
                  onChange={(e) => update.mutate({ promptId: p.id, policy: e.target.value as Policy })}
                  className="rounded border border-slate-300 px-1 py-0.5"
                >
                  {policies.map((x) => (
                    <option key={x}>{x}</option>
                  ))}
                </select>
              </td>
              <td className="py-1 pr-2 text-xs">{p.harmCategory ?? "–"}</td>
              <td className="py-1">
                <button type="button" className="btn-ghost text-xs" disabled={remove.isPending} onClick={() => remove.mutate({ promptId: p.id })}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.prompts.length === 0 && <p className="text-sm text-slate-500">No prompts yet.</p>}
    </Panel>
  );
}

export function EvaluationSets({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const sets = useQuery(trpc.evaluation.sets.queryOptions({ projectId }));
  const [open, setOpen] = useState<string | null>(null);
  const chosen = open ?? sets.data?.[0]?.id ?? null;
  return (
    <>
      <div className="space-y-1">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-slate-500 hover:text-slate-800">
          ← Project
        </Link>
        <h1>Evaluation sets</h1>
        <p className="text-sm text-slate-600">
          Prompts held out from training, each with its prompt policy. A policy&apos;s evaluation reports the unsafe rate on disallowed prompts, over-refusal on
          allowed ones and compliance on sensitive ones, each with a 95 % interval, next to the policy it was trained from.
        </p>
      </div>
      <Panel title="Sets">
        <ErrorText message={sets.error?.message} />
        <ul className="space-y-1 text-sm">
          {sets.data?.map((s) => (
            <li key={s.id}>
              <button type="button" className={`text-left underline ${s.id === chosen ? "font-semibold text-slate-900" : "text-blue-700"}`} onClick={() => setOpen(s.id)}>
                {s.name}
              </button>{" "}
              <span className="text-slate-500">
                {s.prompts} prompts ({s.byPolicy.allowed} allowed, {s.byPolicy.sensitive} sensitive, {s.byPolicy.disallowed} disallowed) · version {s.version}
              </span>
            </li>
          ))}
        </ul>
        {sets.data?.length === 0 && <p className="text-sm text-slate-500">No evaluation set yet: without one, no policy is evaluated.</p>}
        <NewSetForm projectId={projectId} onCreated={setOpen} />
      </Panel>
      {chosen && <SetPrompts setId={chosen} />}
    </>
  );
}
