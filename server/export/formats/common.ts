// Pieces every format shares: messages, the safety block, provenance, and a stable pair id.
import { z } from "zod";
import { ZMessage, ZMessages, type Message } from "../../import/conversation";
import type { ExportJudgement } from "../types";

export { ZMessages };
export type { Message };

export const ZAssistantTurn = z.array(ZMessage.extend({ role: z.literal("assistant") })).length(1);

/** Fresh `{role, content}` objects in that order: the bytes never depend on how the caller built the
 *  messages, and no stray key (name, tool_calls) reaches readers that reject unknown keys. */
export function messagesOf(messages: readonly Message[]): Message[] {
  return messages.map((m) => ({ role: m.role, content: m.content }));
}

export const assistant = (content: string): [{ role: "assistant"; content: string }] => [{ role: "assistant", content }];

export function contentOf(j: ExportJudgement, responseId: string): string {
  const r = j.task.responses.find((x) => x.id === responseId);
  if (!r) throw new Error(`response ${responseId} is not part of task ${j.task.taskId}`);
  return r.content;
}

/** Whether the record comes straight from a preference file: it then carries only the file's fields. */
export const fromFile = (j: ExportJudgement) => j.annotation?.origin === "imported";

/** The import meta without the keys the pairs layout lifts to the top level. */
export function fileMeta(j: ExportJudgement): Record<string, unknown> {
  return Object.fromEntries(Object.entries(j.task.meta).filter(([key]) => key !== "id" && key !== "safety"));
}

export const ZSafety = z.object({
  promptPolicy: z.enum(["allowed", "sensitive", "disallowed"]).nullable().optional(),
  harmCategory: z.string().nullable().optional(),
  rubric: z.record(z.string(), z.enum(["A", "B", "C", "D"])).optional(),
});

/** Safety labels of the judgement, limited to the responses a record shows. */
export function safetyOf(j: ExportJudgement, responseIds: string[]): Record<string, unknown> {
  if (j.promptPolicy === null) {
    const imported = j.task.meta.safety;
    return imported && typeof imported === "object" && !Array.isArray(imported) ? (imported as Record<string, unknown>) : {};
  }
  const rubric = Object.fromEntries(responseIds.filter((id) => j.rubric[id]).map((id) => [id, j.rubric[id]!]));
  return { promptPolicy: j.promptPolicy, harmCategory: j.harmCategory, ...(Object.keys(rubric).length ? { rubric } : {}) };
}

/** Where a record comes from in this platform, for tracing it back. */
export function provenance(j: ExportJudgement): Record<string, unknown> {
  return {
    taskId: j.task.taskId,
    projectId: j.task.projectId,
    source: j.task.source,
    models: Object.fromEntries(j.task.responses.map((r) => [r.id, r.model])),
    ...(j.annotation
      ? {
          annotationId: j.id,
          annotatorId: j.annotation.annotatorId,
          shownOrder: j.annotation.shownOrder,
          timeSpentMs: j.annotation.timeSpentMs,
          guidelinesVersion: j.annotation.guidelinesVersion,
          reviewState: j.annotation.reviewState,
          createdAt: j.annotation.createdAt.toISOString(),
        }
      : {}),
    ...(j.merge ? { merge: j.merge } : {}),
  };
}

export const ZMeta = z.record(z.string(), z.unknown());
