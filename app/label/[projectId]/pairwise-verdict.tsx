"use client";

import type { PairwiseVerdict } from "../../../server/annotation/ranking";

export const verdictOptions: { value: PairwiseVerdict; label: string; key: string }[] = [
  { value: "a_better", label: "A is better", key: "1" },
  { value: "b_better", label: "B is better", key: "2" },
  { value: "tie", label: "Tie", key: "3" },
  { value: "both_bad", label: "Both are bad", key: "4" },
];

/** Arena-style judgement of two responses. */
export function PairwiseVerdictPicker({ verdict, onVerdict }: { verdict: PairwiseVerdict | null; onVerdict: (v: PairwiseVerdict) => void }) {
  return (
    <section aria-labelledby="verdict-heading" className="space-y-2">
      <h3 id="verdict-heading" className="section-title">
        Which response is better?
      </h3>
      <div role="radiogroup" aria-label="Verdict" className="grid grid-cols-2 gap-1.5">
        {verdictOptions.map((o) => (
          <label key={o.value} className={`pill pill-lg justify-between ${o.value === "both_bad" ? "pill-danger" : ""}`}>
            <input type="radio" className="pill-input" name="verdict" value={o.value} checked={verdict === o.value} onChange={() => onVerdict(o.value)} aria-label={o.label} />
            <span>{o.label}</span>
            <kbd className="kbd">{o.key}</kbd>
          </label>
        ))}
      </div>
    </section>
  );
}
