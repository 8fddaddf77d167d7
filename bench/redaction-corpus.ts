// The feedback redactor on the planted-PII corpus (server/test/corpus/feedback-pii.json): per kind,
// how many planted values were removed, and how many clean sentences came through unchanged. The
// unit test asserts floors on the same figures; this prints them, and what was missed or damaged.
//
//   node --import tsx bench/redaction-corpus.ts
import { corpusItems, measureRedaction } from "../server/feedback/redact-corpus";

const m = measureRedaction();
console.log(`corpus: ${corpusItems.length} conversations`);
for (const [kind, r] of Object.entries(m.recall)) {
  console.log(`${kind.padEnd(8)} removed ${r.removed}/${r.planted} (${((100 * r.removed) / Math.max(1, r.planted)).toFixed(1)} %)${r.missed.length ? `  missed: ${r.missed.join(" | ")}` : ""}`);
}
console.log(`clean sentences unchanged: ${m.clean.untouched}/${m.clean.total} (${((100 * m.clean.untouched) / m.clean.total).toFixed(1)} %)`);
for (const d of m.clean.damaged) console.log(`  damaged: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`);
