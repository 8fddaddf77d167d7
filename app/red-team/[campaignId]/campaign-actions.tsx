"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

/** Admins: send successful attacks on (regression set + labelling tasks), and replay the set against a version. */
export function CampaignActions({ campaignId, projectId, waiting }: { campaignId: string; projectId: string; waiting: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const models = useQuery(trpc.models.list.queryOptions({ checkpoints: false }));
  const policies = (models.data ?? []).filter((m) => (m.kind === "policy" || m.kind === "sft") && (!m.projectId || m.projectId === projectId));
  const [policyId, setPolicyId] = useState("");
  const [replayId, setReplayId] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.redTeam.pathKey() });
  const sendOn = useMutation(
    trpc.redTeam.sendOn.mutationOptions({
      onSuccess: (r) => {
        setNotice(`${r.attempts} attack(s) sent on: ${r.addedToRegressionSet} new in the red-team regression set, labelling tasks being generated (job ${r.jobId.slice(0, 8)}).`);
        void refresh();
      },
    }),
  );
  const replay = useMutation(
    trpc.redTeam.replay.mutationOptions({
      onSuccess: (r) => {
        setNotice(`Replay queued (job ${r.jobId.slice(0, 8)}).`);
        void refresh();
      },
    }),
  );
  return (
    <Panel title="Send on and replay">
      <div className="flex flex-wrap items-end gap-3 text-sm">
        <label className="flex flex-col">
          Fresh candidates from
          <select aria-label="Fresh candidates from" value={policyId} onChange={(e) => setPolicyId(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
            <option value="">the project&apos;s current policy</option>
            {policies.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={waiting === 0 || sendOn.isPending}
          onClick={() => sendOn.mutate({ campaignId, ...(policyId ? { policyModelId: policyId } : {}) })}
          className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50"
        >
          Send {waiting} successful attack(s) on
        </button>
        <label className="flex flex-col">
          Replay against
          <select aria-label="Replay against" value={replayId} onChange={(e) => setReplayId(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
            <option value="">choose a version…</option>
            {policies.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={!replayId || replay.isPending} onClick={() => replay.mutate({ campaignId, modelVersionId: replayId })} className="rounded border border-slate-300 px-3 py-1.5 disabled:opacity-50">
          Replay
        </button>
      </div>
      <p className="text-sm text-slate-600">
        Sending on puts each successful attack (without the answer) into the project&apos;s frozen red-team regression set, which every later policy is evaluated on, and makes a labelling task of it: the
        failing answer beside fresh candidates, so annotators rank a refusal above it.
      </p>
      {notice && (
        <p role="status" className="rounded bg-green-50 px-3 py-2 text-sm text-green-800">
          {notice}
        </p>
      )}
      <ErrorText message={sendOn.error?.message ?? replay.error?.message} />
    </Panel>
  );
}
