"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ErrorText } from "../components/panel";
import { useTRPC } from "../trpc/client";

export type AttackConversation = { modelVersionId: string; messages: { role: "system" | "user" | "assistant"; content: string }[] };

/**
 * Saves a playground conversation as an attempt of a red-team campaign: the tactic (tags and a note)
 * and the red-teamer's rubric grade of the model's last answer. The server decides success.
 */
export function AttemptForm({ conversation, initialCampaignId }: { conversation: AttackConversation | null; initialCampaignId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mine = useQuery(trpc.redTeam.myCampaigns.queryOptions());
  const open = (mine.data?.campaigns ?? []).filter((c) => !c.closedAt);
  const [campaignId, setCampaignId] = useState(initialCampaignId ?? "");
  const campaign = open.find((c) => c.id === campaignId) ?? null;
  const [saved, setSaved] = useState<{ success: boolean; campaignId: string } | null>(null);
  const record = useMutation(
    trpc.redTeam.recordAttempt.mutationOptions({
      onSuccess: (r, input) => {
        setSaved({ success: r.success, campaignId: input.campaignId });
        void queryClient.invalidateQueries({ queryKey: trpc.redTeam.pathKey() });
      },
    }),
  );
  const ready = conversation !== null && conversation.messages.at(-1)?.role === "assistant";

  return (
    <form
      aria-label="Save as red-team attempt"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        if (!conversation || !campaign) return;
        const f = new FormData(e.currentTarget);
        setSaved(null);
        record.mutate({
          campaignId: campaign.id,
          modelVersionId: conversation.modelVersionId,
          messages: conversation.messages,
          harmCategory: String(f.get("harmCategory") ?? ""),
          domain: String(f.get("domain") ?? "") || null,
          tactics: f.getAll("tactics").map(String),
          tacticNote: String(f.get("tacticNote") ?? ""),
          promptPolicy: String(f.get("promptPolicy") ?? "disallowed") as "allowed" | "sensitive" | "disallowed",
          grade: String(f.get("grade") ?? "") as "A" | "B" | "C" | "D",
        });
      }}
    >
      <h2 className="text-base font-medium">Save as red-team attempt</h2>
      {open.length === 0 ? (
        <p className="text-slate-500">No open campaign in your projects.</p>
      ) : (
        <>
          <div className="flex flex-wrap gap-3">
            <label className="flex flex-col">
              Campaign
              <select aria-label="Campaign" required value={campaignId} onChange={(e) => setCampaignId(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
                <option value="">choose…</option>
                {open.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.project.name})
                  </option>
                ))}
              </select>
            </label>
            {campaign && (
              <>
                <label className="flex flex-col">
                  Harm category
                  <select name="harmCategory" aria-label="Harm category" required className="rounded border border-slate-300 px-2 py-1">
                    {campaign.goals.map((g) => (
                      <option key={g.category} value={g.category} title={g.goal}>
                        {g.category}
                      </option>
                    ))}
                  </select>
                </label>
                {campaign.domains.length > 0 && (
                  <label className="flex flex-col">
                    Domain
                    <select name="domain" aria-label="Domain" className="rounded border border-slate-300 px-2 py-1">
                      <option value="">–</option>
                      {campaign.domains.map((d) => (
                        <option key={d}>{d}</option>
                      ))}
                    </select>
                  </label>
                )}
                <label className="flex flex-col">
                  The request is
                  <select name="promptPolicy" aria-label="The request is" defaultValue="disallowed" className="rounded border border-slate-300 px-2 py-1">
                    <option value="disallowed">disallowed</option>
                    <option value="sensitive">sensitive</option>
                    <option value="allowed">allowed</option>
                  </select>
                </label>
              </>
            )}
          </div>
          {campaign && mine.data && (
            <>
              <fieldset>
                <legend className="font-medium">Tactic</legend>
                <div className="flex flex-wrap gap-x-4 gap-y-1">
                  {Object.entries(mine.data.tactics).map(([tag, help]) => (
                    <label key={tag} className="flex items-center gap-1.5" title={help}>
                      <input type="checkbox" name="tactics" value={tag} />
                      {tag}
                    </label>
                  ))}
                </div>
              </fieldset>
              <label className="flex flex-col">
                How (free text)
                <textarea name="tacticNote" rows={2} className="rounded border border-slate-300 px-2 py-1" />
              </label>
              <fieldset>
                <legend className="font-medium">Grade of the model&apos;s last answer</legend>
                <div className="flex flex-wrap gap-x-4 gap-y-1">
                  {Object.entries(mine.data.grades).map(([grade, help]) => (
                    <label key={grade} className="flex items-center gap-1.5">
                      <input type="radio" name="grade" value={grade} required />
                      {grade}: {help}
                    </label>
                  ))}
                </div>
              </fieldset>
            </>
          )}
          <button type="submit" disabled={!ready || !campaign || record.isPending} className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50">
            Save attempt
          </button>
          {!ready && <p className="text-slate-500">Chat until the model has answered; the last answer is the one graded.</p>}
        </>
      )}
      <ErrorText message={record.error?.message} />
      {saved && (
        <p role="status" className={`rounded px-3 py-2 ${saved.success ? "bg-red-50 text-red-800" : "bg-green-50 text-green-800"}`}>
          Saved: {saved.success ? "a successful attack (disallowed content on a disallowed request)." : "not a success."}{" "}
          <Link className="underline" href={`/red-team/${saved.campaignId}`}>
            See the campaign
          </Link>
        </p>
      )}
    </form>
  );
}
