"use client";

import { useEffect, useState } from "react";
import { z } from "zod";
import { pairwiseVerdicts, strengths } from "../../../server/annotation/ranking";
import { promptPolicies, qualityFlags, rubricGrades } from "../../../server/annotation/submission";
import type { AssignmentView } from "./types";

const prefix = "rlhf-draft:";
const draftVersion = 1;

// localStorage is user-editable and may hold drafts written by an older build, so it is parsed,
// never trusted.
const ZDraft = z.object({
  v: z.literal(draftVersion),
  assignmentId: z.string(),
  projectId: z.string(),
  idempotencyKey: z.string().min(8).max(100),
  startedAtMs: z.number(),
  groups: z.array(z.array(z.string())),
  strengths: z.record(z.string(), z.enum(strengths)),
  verdict: z.enum(pairwiseVerdicts).nullable(),
  promptPolicy: z.enum(promptPolicies).nullable(),
  harmCategory: z.string().nullable(),
  rubric: z.record(z.string(), z.enum(rubricGrades)),
  flags: z.record(z.string(), z.array(z.enum(qualityFlags))),
  rationale: z.string(),
  demonstration: z
    .object({
      content: z.string(),
      basedOnResponseId: z.string().nullable(),
      idempotencyKey: z.string().min(8).max(100),
      savedId: z.string().nullable(),
    })
    .nullable(),
  /** What Submit sent; a draft still holding it after a reload was never acknowledged, so it is
   *  sent again with the same idempotency key (the server answers a repeat with the first result). */
  pendingSubmit: z.object({ labels: z.record(z.string(), z.unknown()), timeSpentMs: z.number().int().nullable() }).nullable(),
});
export type Draft = z.infer<typeof ZDraft>;

const keyOf = (assignmentId: string) => `${prefix}${assignmentId}`;

export function newKey(): string {
  return crypto.randomUUID();
}

function freshDraft(task: AssignmentView): Draft {
  return {
    v: draftVersion,
    assignmentId: task.assignmentId,
    projectId: task.project.id,
    idempotencyKey: newKey(),
    startedAtMs: Date.now(),
    groups: [],
    strengths: {},
    verdict: null,
    promptPolicy: null,
    harmCategory: null,
    rubric: {},
    flags: {},
    rationale: "",
    demonstration: null,
    pendingSubmit: null,
  };
}

function parse(raw: string | null): Draft | null {
  if (!raw) return null;
  try {
    const result = ZDraft.safeParse(JSON.parse(raw));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

export function readDraft(assignmentId: string): Draft | null {
  try {
    return parse(localStorage.getItem(keyOf(assignmentId)));
  } catch {
    return null;
  }
}

export function writeDraft(draft: Draft) {
  try {
    localStorage.setItem(keyOf(draft.assignmentId), JSON.stringify(draft));
  } catch {
    // Storage full or disabled (private mode): the work still lives in memory for this page.
  }
}

export function clearDraft(assignmentId: string) {
  try {
    localStorage.removeItem(keyOf(assignmentId));
  } catch {
    // Nothing to clean up when storage is unavailable.
  }
}

/** Every stored draft of a project, e.g. to resend submits that were never acknowledged. */
export function draftsOfProject(projectId: string): Draft[] {
  const drafts: Draft[] = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key?.startsWith(prefix)) continue;
      const draft = parse(localStorage.getItem(key));
      if (draft?.projectId === projectId) drafts.push(draft);
    }
  } catch {
    // Storage unavailable: nothing to recover.
  }
  return drafts;
}

/** Drops ids that are not in this task, so a stale or tampered draft cannot break the board. */
function fitToTask(draft: Draft, task: AssignmentView): Draft {
  const ids = new Set(task.responses.map((r) => r.id));
  const seen = new Set<string>();
  const groups = draft.groups
    .map((g) => g.filter((id) => ids.has(id) && !seen.has(id) && seen.add(id)))
    .filter((g) => g.length > 0);
  const pick = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)));
  return { ...draft, groups, rubric: pick(draft.rubric), flags: pick(draft.flags) };
}

/**
 * The annotator's work on one task, mirrored to localStorage on every change so a reload, a crash
 * or a closed tab loses nothing; it is removed only once the server acknowledged the submit.
 * Mount it with key={assignmentId}: the initial state is read once.
 */
export function useDraft(task: AssignmentView) {
  const [draft, setDraft] = useState<Draft>(() => {
    const stored = readDraft(task.assignmentId);
    return stored ? fitToTask(stored, task) : freshDraft(task);
  });
  useEffect(() => {
    writeDraft(draft);
  }, [draft]);
  return [draft, setDraft] as const;
}
