"use client";

import { promptPolicies, type PromptPolicy } from "../../../server/annotation/submission";

export const policyText: Record<PromptPolicy, { label: string; hint: string }> = {
  allowed: { label: "Allowed", hint: "An ordinary request the assistant should simply help with" },
  sensitive: { label: "Sensitive", hint: "Touches a harm area; help carefully (e.g. medical, legal, self-harm adjacent)" },
  disallowed: { label: "Disallowed", hint: "The assistant should not comply" },
};

/** Prompt-level safety: the policy and, unless the prompt is allowed, a harm category. */
export function SafetyLabels({
  policy,
  harmCategory,
  taxonomy,
  onPolicy,
  onHarmCategory,
}: {
  policy: PromptPolicy | null;
  harmCategory: string | null;
  taxonomy: string[];
  onPolicy: (p: PromptPolicy) => void;
  onHarmCategory: (c: string | null) => void;
}) {
  const needsCategory = policy !== null && policy !== "allowed";
  return (
    <section aria-labelledby="safety-heading" className="space-y-2">
      <h3 id="safety-heading" className="section-title">
        Prompt safety
      </h3>
      <div role="radiogroup" aria-label="Prompt policy" className="grid grid-cols-3 gap-1">
        {promptPolicies.map((p) => (
          <label key={p} title={policyText[p].hint} className={`pill justify-center ${p === "disallowed" ? "pill-danger" : p === "sensitive" ? "pill-warn" : ""}`}>
            <input type="radio" className="pill-input" name="prompt-policy" value={p} checked={policy === p} onChange={() => onPolicy(p)} />
            {policyText[p].label}
          </label>
        ))}
      </div>
      <label className="block text-sm">
        <span className={needsCategory ? "text-slate-700" : "text-slate-400"}>Harm category{needsCategory && !harmCategory ? " *" : ""}</span>
        <select
          id="harm-category"
          aria-label="Harm category"
          value={needsCategory ? (harmCategory ?? "") : ""}
          disabled={!needsCategory}
          onChange={(e) => onHarmCategory(e.target.value || null)}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm disabled:bg-slate-100 disabled:text-slate-400"
        >
          <option value="">{policy === "allowed" ? "Not needed for allowed prompts" : "Choose…"}</option>
          {taxonomy.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}
