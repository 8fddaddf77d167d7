"use client";

import { useState } from "react";
import { ZFeedbackSampling } from "../../../../server/feedback/sampling.schema";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";
import type { ProjectSettings } from "../types";
import { SettingsForm, SettingsFormFooter, useSaveProjectSettings } from "./settings-form";

type Draft = { downShare: string; upShare: string; unratedShare: string; perModelQuota: string; dedupByPrompt: boolean };

const percent = (share: number | undefined) => String(Math.round((share ?? 0) * 1000) / 10);

/**
 * Admin-only: which production feedback (POST /api/v1/projects/:id/feedback) becomes labelling
 * tasks. Decided as each conversation arrives; a change applies to conversations sent after it.
 */
export function FeedbackSamplingPanel({ project }: { project: ProjectSettings }) {
  const stored = ZFeedbackSampling.safeParse(project.feedbackSampling).data ?? null;
  const [draft, setDraft] = useState<Draft>(() => ({
    downShare: percent(stored?.downShare),
    upShare: percent(stored?.upShare),
    unratedShare: percent(stored?.unratedShare),
    perModelQuota: stored?.perModelQuota == null ? "" : String(stored.perModelQuota),
    dedupByPrompt: stored?.dedupByPrompt ?? true,
  }));
  const { save, saved, setSaved } = useSaveProjectSettings();

  const share = (text: string) => (text.trim() === "" ? 0 : Number(text) / 100);
  const rule = ZFeedbackSampling.safeParse({
    downShare: share(draft.downShare),
    upShare: share(draft.upShare),
    unratedShare: share(draft.unratedShare),
    perModelQuota: draft.perModelQuota.trim() === "" ? null : Number(draft.perModelQuota),
    dedupByPrompt: draft.dedupByPrompt,
  });
  // The schema's messages name fractions; the form asks for percentages.
  const problems = rule.success ? [] : rule.error.issues.map((i) => i.message.replace("a fraction from 0 to 1", "a percentage from 0 to 100"));
  const set = (key: keyof Draft, value: string | boolean) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };
  const field = (key: "downShare" | "upShare" | "unratedShare" | "perModelQuota", label: string, suffix: string) => (
    <label className="flex items-center gap-2 text-sm">
      <span className="w-64">{label}</span>
      <input inputMode="decimal" value={draft[key]} onChange={(e) => set(key, e.target.value)} className="w-24 rounded border border-slate-300 px-2 py-1" aria-label={label} />
      <span className="text-slate-500">{suffix}</span>
    </label>
  );

  return (
    <Panel title="Production feedback sampling">
      <p className="text-sm text-slate-600">
        Conversations a deployed chat product sends to the feedback API are stored redacted; thumbs go to the kto export. This rule picks which become labelling tasks
        (source <code>production</code>), decided as each arrives.
      </p>
      <SettingsForm
        className="space-y-2"
        onSave={() => {
          setSaved(false);
          if (rule.success) save.mutate({ projectId: project.id, changes: { feedbackSampling: rule.data } });
        }}
      >
        {field("downShare", "Thumbs-down conversations sampled", "%")}
        {field("upShare", "Thumbs-up conversations sampled", "%")}
        {field("unratedShare", "Conversations without thumbs sampled", "%")}
        {field("perModelQuota", "At most per model", "conversations (empty: no quota)")}
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={draft.dedupByPrompt} onChange={(e) => set("dedupByPrompt", e.target.checked)} />
          Sample each prompt once (compared case- and space-insensitively)
        </label>
        <SettingsFormFooter problems={problems} error={save.error?.message} saved={saved} savedText="Saved." pending={save.isPending} canSave={rule.success} submitLabel="Save sampling rule">
          {stored && (
            <button type="button" className="btn" disabled={save.isPending} onClick={() => save.mutate({ projectId: project.id, changes: { feedbackSampling: null } })}>
              Sample nothing
            </button>
          )}
        </SettingsFormFooter>
      </SettingsForm>
      <WaitingForCandidates projectId={project.id} />
    </Panel>
  );
}

/** Sampled conversations that brought fewer than K candidates, and the button that generates the rest. */
function WaitingForCandidates({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const waiting = useQuery(trpc.feedback.waiting.queryOptions({ projectId }));
  const generate = useMutation(trpc.feedback.generateCandidates.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.feedback.pathKey() }) }));
  const n = waiting.data?.conversations ?? 0;
  return (
    <div className="flex flex-wrap items-center gap-3 border-t pt-3 text-sm" data-testid="feedback-waiting">
      <span>
        {n === 0 ? "No sampled conversation waits for candidates." : `${n} sampled conversation${n === 1 ? "" : "s"} brought fewer answers than the ${"project's"} K: generate the rest from the current policy to make labelling tasks.`}
      </span>
      {n > 0 && (
        <button type="button" className="btn" disabled={generate.isPending} onClick={() => generate.mutate({ projectId })}>
          Generate candidates
        </button>
      )}
      {generate.data && <span role="status">Queued (run {generate.data.jobId.slice(0, 8)}) for {generate.data.conversations} conversation(s).</span>}
      <ErrorText message={waiting.error?.message ?? generate.error?.message} />
    </div>
  );
}
