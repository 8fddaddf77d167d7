"use client";

import { useState } from "react";
import { ZFeedbackSampling } from "../../../../server/feedback/sampling.schema";
import { Panel } from "../../../components/panel";
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
    </Panel>
  );
}
