"use client";

import { useState } from "react";
import { promptPolicies, rubricGrades, type RubricGrade } from "../../../../server/annotation/submission";
import { Panel } from "../../../components/panel";
import { rubricText } from "../../../label/[projectId]/response-labels";
import type { ProjectSettings } from "../types";
import { SettingsForm, SettingsFormFooter, useSaveProjectSettings } from "./settings-form";

type Policy = (typeof promptPolicies)[number];
type Table = Record<Policy, Record<RubricGrade, number>>;
const bound = 10;

const policyText: Record<Policy, string> = {
  allowed: "an allowed prompt",
  sensitive: "a sensitive prompt",
  disallowed: "a disallowed prompt",
};

/** What a cell means, in words: the reward a response of this grade gets on this kind of prompt. */
function meaning(policy: Policy, grade: RubricGrade, value: number | null): string {
  const sign = value === null ? "" : value > 0 ? "rewarded" : value < 0 ? "penalised" : "neither rewarded nor penalised";
  return `${rubricText[grade].short} on ${policyText[policy]}: ${sign}${value === null ? "" : ` (${value > 0 ? "+" : ""}${value})`}`;
}

/**
 * Admin-only: the safety reward R[policy][grade] that safety models are trained with. Each saved
 * change is a new version; a safety run records the version it used, and the change is audited.
 */
export function RewardTablePanel({ project }: { project: ProjectSettings }) {
  const stored = project.rewardTable as Table;
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(promptPolicies.flatMap((p) => rubricGrades.map((g) => [`${p}.${g}`, String(stored[p]?.[g] ?? "")]))));
  const [focus, setFocus] = useState<{ policy: Policy; grade: RubricGrade } | null>(null);
  const { save, saved, setSaved } = useSaveProjectSettings();

  const value = (p: Policy, g: RubricGrade) => {
    const text = draft[`${p}.${g}`]?.trim() ?? "";
    const n = Number(text);
    return text === "" || !Number.isFinite(n) ? null : n;
  };
  const problems = promptPolicies.flatMap((p) =>
    rubricGrades.flatMap((g) => {
      const v = value(p, g);
      if (v === null) return [`${p} × ${g} needs a number`];
      if (Math.abs(v) > bound) return [`${p} × ${g} must lie between −${bound} and +${bound}`];
      return [];
    }),
  );
  const table = () => Object.fromEntries(promptPolicies.map((p) => [p, Object.fromEntries(rubricGrades.map((g) => [g, value(p, g)!]))])) as Table;
  const changed = problems.length === 0 && JSON.stringify(table()) !== JSON.stringify(Object.fromEntries(promptPolicies.map((p) => [p, Object.fromEntries(rubricGrades.map((g) => [g, stored[p]?.[g]]))])));

  return (
    <Panel title="Safety reward table">
      <p className="text-sm text-slate-600">
        The reward a response gets for its rubric grade on each kind of prompt. Safety models are trained with it, and PPO adds it to the reward model&apos;s score.
        Version {project.rewardTableVersion}; a safety run records the version it used.
      </p>
      <SettingsForm
        className="space-y-3"
        onSave={() => {
          setSaved(false);
          if (problems.length === 0) save.mutate({ projectId: project.id, changes: { rewardTable: table() } });
        }}
      >
        <table className="text-sm tabular-nums">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="pr-3 font-medium">prompt policy</th>
              {rubricGrades.map((g) => (
                <th key={g} className="px-1 font-medium" title={rubricText[g].long}>
                  {g} · {rubricText[g].short}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {promptPolicies.map((p) => (
              <tr key={p}>
                <th scope="row" className="pr-3 text-left font-normal">
                  {p}
                </th>
                {rubricGrades.map((g) => {
                  const v = value(p, g);
                  const bad = v === null || Math.abs(v) > bound;
                  return (
                    <td key={g} className="px-1 py-0.5">
                      <input
                        aria-label={`Reward for ${rubricText[g].short} on ${p} prompts`}
                        aria-invalid={bad}
                        inputMode="decimal"
                        value={draft[`${p}.${g}`] ?? ""}
                        onFocus={() => setFocus({ policy: p, grade: g })}
                        onChange={(e) => {
                          setSaved(false);
                          setDraft((d) => ({ ...d, [`${p}.${g}`]: e.target.value }));
                        }}
                        className={`w-20 rounded border px-2 py-1 ${bad ? "border-red-500" : "border-slate-300"}`}
                      />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <p className="text-sm text-slate-600" data-testid="reward-cell-meaning" aria-live="polite">
          {focus ? meaning(focus.policy, focus.grade, value(focus.policy, focus.grade)) : "Choose a cell to see what it means."}
        </p>
        <SettingsFormFooter
          problems={problems}
          error={save.error?.message}
          saved={saved}
          savedText={`Saved as version ${project.rewardTableVersion}.`}
          pending={save.isPending}
          canSave={changed}
          submitLabel="Save reward table"
        />
      </SettingsForm>
    </Panel>
  );
}
