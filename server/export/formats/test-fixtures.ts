// Builders for the format tests. Judgements are made the way an export makes them: a task with
// annotations goes through toJudgements (raw or merged), and an imported row becomes the task,
// annotation and stored margins the import writes and the export query reads back.
import type { Strength } from "../../annotation/ranking";
import type { Message } from "../../import/conversation";
import type { ImportRecord } from "../../import/import-record";
import { toJudgements } from "../aggregate";
import type { ExportAnnotation, ExportJudgement, ExportTask } from "../types";

/** system + user + assistant + user, with emoji (ZWJ, flags), CJK, RTL and combining marks. */
export const multiTurnPrompt: Message[] = [
  { role: "system", content: "Réponds brièvement. Answer in the user's language." },
  { role: "user", content: "日本語で「脳」は? 🧠👩‍💻" },
  { role: "assistant", content: "「脳」(のう) です。" },
  { role: "user", content: "وبالعربية؟ ובעברית? Cafe\u0301 n\u0303 🇯🇵" },
];

/** Responses r1..r4 in import order; r4 keeps its combining acute accent (no normalisation). */
export const unicodeResponses = [
  { id: "r1", content: "دماغ 🧠", model: "policy-v2" },
  { id: "r2", content: "מוח", model: "policy-v1" },
  { id: "r3", content: "脳 (のう)\nsecond line", model: null },
  { id: "r4", content: "cafe\u0301 ☕ I can't help with that.", model: "policy-v1" },
];

export function exportTask(overrides: Partial<Omit<ExportTask, "annotations">> = {}): Omit<ExportTask, "annotations"> {
  return {
    taskId: "task-1",
    projectId: "project-1",
    prompt: multiTurnPrompt,
    responses: unicodeResponses,
    source: "production",
    meta: { topic: "language", batch: 3 },
    ...overrides,
  };
}

let nextAnnotation = 0;

/** A human annotation that passes submission checks: disallowed prompt, category, every response graded. */
export function humanAnnotation(ranking: string[][], overrides: Partial<ExportAnnotation> = {}): ExportAnnotation {
  nextAnnotation += 1;
  const ids = ranking.flat();
  return {
    id: `ann-${nextAnnotation}`,
    annotatorId: `user-${nextAnnotation}`,
    origin: "human",
    ranking,
    strengths: ranking.slice(1).map((): Strength => "clear"),
    margins: {},
    promptPolicy: "disallowed",
    harmCategory: "privacy",
    rubric: Object.fromEntries(ids.map((id, i) => [id, (["A", "D", "B", "C"] as const)[i % 4]!])),
    feedback: null,
    flags: {},
    shownOrder: [...ids].reverse(),
    timeSpentMs: 4200,
    guidelinesVersion: 3,
    reviewState: "accepted",
    createdAt: new Date("2026-11-01T10:00:00.000Z"),
    ...overrides,
  };
}

export function rawJudgement(annotation: ExportAnnotation, task = exportTask()): ExportJudgement {
  const [judgement] = toJudgements({ ...task, annotations: [annotation] }, "raw");
  return judgement!;
}

export function mergedJudgement(
  annotations: ExportAnnotation[],
  method: "majority" | "bradley-terry" | "gold-weighted" = "majority",
  task = exportTask(),
): ExportJudgement {
  const goldAccuracy = new Map(annotations.flatMap((a) => (a.annotatorId ? [[a.annotatorId, 0.9] as const] : [])));
  const [judgement] = toJudgements({ ...task, annotations }, method, { goldAccuracy });
  if (!judgement) throw new Error("expected the merge to give a judgement");
  return judgement;
}

/**
 * What an imported preference row is once stored and read back for export: responses in file
 * order, the file's order as a ranking of singletons with no strengths, no labels, and each
 * pair's margin stored (1 when the file gave none), as server/import/service.ts writes them. A
 * thumbs (kto) row is its one response in one group, with the row's thumbs label.
 */
export function judgementFromImport(record: ImportRecord, taskId = "task-imported"): ExportJudgement {
  const ids = record.responses.map((_, i) => `${taskId}-r${i}`);
  const order = record.preference ? record.preference.order.map((i) => ids[i]!) : ids;
  const margins: Record<string, number> = {};
  order.forEach((chosen, i) => {
    for (const rejected of order.slice(i + 1)) margins[`${chosen}>${rejected}`] = record.preference?.margin ?? 1;
  });
  const annotation: ExportAnnotation = {
    id: `${taskId}-annotation`,
    annotatorId: null,
    origin: "imported",
    ranking: record.preference ? order.map((id) => [id]) : [order],
    strengths: [],
    margins,
    promptPolicy: null,
    harmCategory: null,
    rubric: {},
    feedback: record.feedback,
    flags: {},
    shownOrder: order,
    timeSpentMs: null,
    guidelinesVersion: null,
    reviewState: "pending",
    createdAt: new Date("2026-11-02T08:30:00.000Z"),
  };
  return rawJudgement(
    annotation,
    exportTask({
      taskId,
      prompt: record.prompt,
      responses: record.responses.map((r, i) => ({ id: ids[i]!, content: r.content, model: r.model })),
      source: record.source,
      meta: record.meta,
    }),
  );
}

/** Every record of a format passes through JSON unchanged (no undefined, Date or lone surrogate). */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `meta.export` of a pairs record (the schema types meta as an open record). */
export function pairExport(record: { meta: Record<string, unknown> }): { chosenId: string; rejectedId: string; strength: string } & Record<string, unknown> {
  return record.meta.export as { chosenId: string; rejectedId: string; strength: string } & Record<string, unknown>;
}
