"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { PolicySelect } from "../policy-select";

/** Admins: send successful attacks on (regression set + labelling tasks), and replay the set against a version. */
export function CampaignActions({ campaignId, projectId, waiting }: { campaignId: string; projectId: string; waiting: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
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
        <PolicySelect label="Fresh candidates from" projectId={projectId} value={policyId} onChange={setPolicyId} empty="the project's current policy" />
        <button
          type="button"
          disabled={waiting === 0 || sendOn.isPending}
          onClick={() => sendOn.mutate({ campaignId, ...(policyId ? { policyModelId: policyId } : {}) })}
          className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50"
        >
          Send {waiting} successful attack(s) on
        </button>
        <PolicySelect label="Replay against" projectId={projectId} value={replayId} onChange={setReplayId} empty="choose a version…" />
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
