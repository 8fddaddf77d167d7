"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { dateTime } from "../../../../components/format";
import { ModalDialog } from "../../../../components/modal-dialog";
import { ErrorText, Panel } from "../../../../components/panel";
import { useTRPC } from "../../../../trpc/client";

type Found = { id: string; messages: { role: string; content: string }[]; source: string; createdAt: Date | string; tasks: number };

/** Find a project's conversations by text or id, and delete one with everything made from it. */
export function ConversationData({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const [target, setTarget] = useState<Found | null>(null);
  const found = useQuery({ ...trpc.governance.findConversations.queryOptions({ projectId, query }), enabled: query.length > 0 });
  const deletions = useQuery(trpc.governance.deletions.queryOptions({ projectId }));

  return (
    <>
      <div className="space-y-1">
        <Link href={`/admin/projects/${projectId}`} className="text-sm text-slate-500 hover:text-slate-800">
          ← Project
        </Link>
        <h1>Data</h1>
      </div>
      <Panel title="Find a conversation">
        <form
          className="flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(draft.trim());
          }}
        >
          <input
            aria-label="Text or id of the conversation"
            placeholder="Text of the conversation, or its id"
            className="w-full rounded border border-slate-300 px-2 py-1 text-sm"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" className="btn" disabled={!draft.trim()}>
            Search
          </button>
        </form>
        <ErrorText message={found.error?.message} />
        {found.data && found.data.length === 0 && <p className="text-sm text-slate-500">No conversation of this project matches.</p>}
        {found.data && found.data.length > 0 && (
          <ul className="divide-y divide-slate-100" data-testid="conversations">
            {found.data.map((c) => (
              <li key={c.id} className="flex items-start gap-3 py-2 text-sm" data-testid="conversation-row">
                <div className="min-w-0 flex-1 space-y-1">
                  {c.messages.map((m, i) => (
                    <p key={i} className="whitespace-pre-wrap break-words">
                      <span className="mr-1 text-xs uppercase text-slate-500">{m.role}</span>
                      {m.content}
                    </p>
                  ))}
                  <p className="text-xs text-slate-500">
                    {c.source} · {c.tasks} task{c.tasks === 1 ? "" : "s"} · {dateTime(c.createdAt)} · <span className="font-mono">{c.id}</span>
                  </p>
                </div>
                <button type="button" className="btn-danger shrink-0" onClick={() => setTarget(c)}>
                  Delete conversation…
                </button>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel title="Deletions">
        {deletions.data?.length ? (
          <ul className="space-y-1 text-sm" data-testid="deletions">
            {deletions.data.map((d) => (
              <li key={d.id}>
                {dateTime(d.at)} · {d.promptIds.length} conversation{d.promptIds.length === 1 ? "" : "s"} · {d.snapshotIds.length} snapshot(s) · {d.modelIds.length} model(s) ·{" "}
                by {d.actor?.name ?? d.apiKey?.name ?? "–"} · “{d.reason}”
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-500">Nothing deleted from this project yet.</p>
        )}
      </Panel>
      {target && (
        <DeleteConversationDialog
          projectId={projectId}
          conversation={target}
          onClose={() => {
            setTarget(null);
            setQuery("");
            setDraft("");
          }}
        />
      )}
    </>
  );
}

function DeleteConversationDialog({ projectId, conversation, onClose }: { projectId: string; conversation: Found; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [rebuilt, setRebuilt] = useState<Record<string, { id: string; sha256: string }>>({});
  const preview = useQuery({ ...trpc.governance.previewDeletion.queryOptions({ projectId, promptIds: [conversation.id] }), staleTime: 0 });
  const remove = useMutation(
    trpc.governance.deleteConversations.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.governance.deletions.queryKey({ projectId }) }),
    }),
  );
  const rebuild = useMutation(
    trpc.exports.rebuildSnapshot.mutationOptions({
      onSuccess: (s, input) => {
        setRebuilt((r) => ({ ...r, [input.snapshotId]: s }));
        void queryClient.invalidateQueries({ queryKey: trpc.exports.snapshots.queryKey({ projectId }) });
      },
    }),
  );
  const plan = remove.data ?? preview.data;
  const done = Boolean(remove.data);

  return (
    <ModalDialog open onClose={onClose} title={done ? "Conversation deleted" : "Delete conversation"} wide>
      <div className="space-y-3 text-sm" data-testid="deletion-dialog">
        <div className="max-h-40 overflow-y-auto rounded bg-slate-50 p-2">
          {conversation.messages.map((m, i) => (
            <p key={i} className="whitespace-pre-wrap break-words">
              <span className="mr-1 text-xs uppercase text-slate-500">{m.role}</span>
              {m.content}
            </p>
          ))}
        </div>
        {preview.isPending && <p className="text-slate-500">Working out what this affects…</p>}
        <ErrorText message={preview.error?.message} />
        {plan && (
          <div className="space-y-2" data-testid={done ? "deletion-result" : "deletion-preview"}>
            <p>
              {done ? "Deleted" : "Will delete"}: {plan.taskIds.length} task(s), {plan.responseIds.length} response(s), {plan.annotationCount} annotation(s), {plan.demonstrationCount} demonstration(s),{" "}
              {plan.reportCount} report(s).
            </p>
            <div>
              <p className="font-medium">
                {plan.snapshots.length} snapshot(s) {done ? "held" : "hold"} it{done ? " and are marked" : " and will be marked"}
              </p>
              <ul className="list-disc pl-5" data-testid="affected-snapshots">
                {plan.snapshots.map((s) => (
                  <li key={s.id} data-testid="affected-snapshot">
                    {s.format} / {s.aggregate} · {s.rowCount} rows · {dateTime(s.createdAt)} · <span className="font-mono text-xs">{s.id.slice(0, 8)}</span>
                    {done &&
                      (rebuilt[s.id] ? (
                        <span className="ml-2" data-testid="rebuilt">
                          rebuilt as{" "}
                          <a className="underline" href={`/api/projects/${projectId}/snapshots/${rebuilt[s.id]!.id}/manifest`} download>
                            {rebuilt[s.id]!.id.slice(0, 8)}
                          </a>{" "}
                          (sha256 {rebuilt[s.id]!.sha256.slice(0, 12)}…)
                        </span>
                      ) : (
                        <button type="button" className="btn ml-2 px-2 py-0.5 text-xs" disabled={rebuild.isPending} onClick={() => rebuild.mutate({ projectId, snapshotId: s.id })}>
                          Rebuild without deleted data
                        </button>
                      ))}
                  </li>
                ))}
              </ul>
            </div>
            <div>
              <p className="font-medium">
                {plan.models.length} model version(s) {done ? "were" : "will be"} flagged for retraining
              </p>
              <ul className="list-disc pl-5" data-testid="affected-models">
                {plan.models.map((m) => (
                  <li key={m.id} data-testid="affected-model">
                    <Link className="underline" href="/admin/models">
                      {m.name}
                    </Link>{" "}
                    ({m.kind}) · {m.via}
                  </li>
                ))}
              </ul>
            </div>
          </div>
        )}
        <ErrorText message={rebuild.error?.message} />
        {!done && (
          <form
            className="space-y-2"
            onSubmit={(e) => {
              e.preventDefault();
              remove.mutate({ projectId, promptIds: [conversation.id], reason });
            }}
          >
            <label className="block space-y-1">
              <span className="block font-medium">Reason (kept in the record)</span>
              <textarea className="w-full rounded border border-slate-300 px-2 py-1" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            {reason.trim().length < 3 && <p className="text-xs text-slate-500">A reason is required to delete.</p>}
            <ErrorText message={remove.error?.message} />
            <div className="flex justify-end gap-2">
              <button type="button" className="btn" onClick={onClose}>
                Cancel
              </button>
              <button type="submit" className="btn-danger" disabled={!plan || remove.isPending || reason.trim().length < 3}>
                {remove.isPending ? "Deleting…" : "Delete for good"}
              </button>
            </div>
          </form>
        )}
        {done && (
          <div className="flex justify-end">
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
          </div>
        )}
      </div>
    </ModalDialog>
  );
}
