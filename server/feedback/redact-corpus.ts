import corpus from "../test/corpus/feedback-pii.json";
import { piiKinds, redactText, redactTexts, type PiiKind } from "./redact";

export type CorpusItem = (typeof corpus.items)[number];
export const corpusItems: CorpusItem[] = corpus.items;

/** Every text of a corpus conversation, as the route would redact it. */
export function corpusTexts(item: CorpusItem): string[] {
  const c = item.conversation as Record<string, unknown> & { messages: { content: string }[] };
  return [...c.messages.map((m) => m.content), ...(["comment", "editedAnswer"] as const).map((k) => c[k]).filter((v): v is string => typeof v === "string")];
}

/**
 * Recall per kind (planted values no longer present after redaction, counted where they were
 * planted) and precision on the clean sentences (ones that come out unchanged).
 */
export function measureRedaction(items: CorpusItem[] = corpusItems) {
  const recall = Object.fromEntries(piiKinds.map((k) => [k, { planted: 0, removed: 0, missed: [] as string[] }])) as Record<PiiKind, { planted: number; removed: number; missed: string[] }>;
  let cleanTotal = 0;
  const damaged: { before: string; after: string }[] = [];
  for (const item of items) {
    const redacted = redactTexts(corpusTexts(item)).texts.join("\n");
    for (const p of item.planted) {
      const r = recall[p.kind as PiiKind];
      r.planted++;
      if (redacted.includes(p.value)) r.missed.push(p.value);
      else r.removed++;
    }
    for (const sentence of item.clean) {
      cleanTotal++;
      const after = redactText(sentence).text;
      if (after !== sentence) damaged.push({ before: sentence, after });
    }
  }
  return { recall, clean: { total: cleanTotal, untouched: cleanTotal - damaged.length, damaged } };
}
