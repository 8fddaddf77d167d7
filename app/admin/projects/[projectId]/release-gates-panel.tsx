"use client";

import { useState } from "react";
import { gateDefs, thresholdsOf, type GateName } from "../../../../server/release/gates";
import { Panel } from "../../../components/panel";
import type { ProjectSettings } from "../types";
import { SettingsForm, SettingsFormFooter, useSaveProjectSettings } from "./settings-form";

/** A rate's threshold is typed in points (2 = 2 %) and stored as a fraction; the reward's as it is. */
const scale = (percent: boolean) => (percent ? 100 : 1);

/**
 * Admin-only: how far each release gate lets a candidate policy's figure move the wrong way
 * before it fails. 0 (the default) fails on any significant regression. Saving is audited.
 */
export function ReleaseGatesPanel({ project }: { project: ProjectSettings }) {
  const stored = thresholdsOf(project.releaseGates);
  const [draft, setDraft] = useState<Record<GateName, string>>(() => Object.fromEntries(gateDefs.map((g) => [g.name, String(stored[g.name] * scale(g.percent))])) as Record<GateName, string>);
  const { save, saved, setSaved } = useSaveProjectSettings();
  const values = gateDefs.map((g) => {
    const text = draft[g.name].trim();
    const n = Number(text);
    const ok = text !== "" && Number.isFinite(n) && n >= 0 && n <= 100;
    return { g, ok, value: ok ? n / scale(g.percent) : null };
  });
  const problems = values.filter((v) => !v.ok).map((v) => `${v.g.label}: a number from 0 to 100`);

  return (
    <Panel title="Release gates">
      <p className="text-sm text-slate-600">
        A policy is promoted only when no gate fails against the current policy, or when an admin overrides with a reason. Each threshold is how far the figure may
        move the wrong way (the 95 % interval of the difference beyond it fails the gate): rates in points, the reward in its own units. 0 fails on any significant
        regression.
      </p>
      <SettingsForm
        className="space-y-2"
        onSave={() => {
          setSaved(false);
          if (problems.length === 0) save.mutate({ projectId: project.id, changes: { releaseGates: Object.fromEntries(values.map((v) => [v.g.name, v.value!])) } });
        }}
      >
        {gateDefs.map((g) => (
          <label key={g.name} className="flex items-center gap-2 text-sm">
            <input
              aria-label={`Threshold for ${g.label}`}
              inputMode="decimal"
              className="w-20 rounded border border-slate-300 px-2 py-1"
              value={draft[g.name]}
              onChange={(e) => {
                setSaved(false);
                setDraft((d) => ({ ...d, [g.name]: e.target.value }));
              }}
            />
            <span>
              {g.percent ? "points" : "reward units"}: {g.label} {g.harmful ? "may rise" : "may fall"}
            </span>
          </label>
        ))}
        <SettingsFormFooter problems={problems} error={save.error?.message} saved={saved} savedText="Saved." pending={save.isPending} canSave={problems.length === 0} submitLabel="Save release gates" />
      </SettingsForm>
    </Panel>
  );
}
