// What the export reads from the database, before a format shapes it. The database layer
// (server/export/query.ts) produces these; the serialisers (server/export/formats/) and the
// merges across annotators (server/export/aggregate/) are pure functions of them.
import type { Strength } from "../annotation/ranking";
import type { Message } from "../import/conversation";
import type { Feedback, PromptSource } from "../import/import-record";

export type { Feedback, Message };

export type ExportResponse = { id: string; content: string; model: string | null };

/** One annotator's judgement of a task. */
export type ExportAnnotation = {
  id: string;
  annotatorId: string | null;
  origin: "human" | "imported";
  /** Best first; a group of several ids is a tie. */
  ranking: string[][];
  /** Between neighbouring groups; "imported" for judgements that came from a preference file. */
  strengths: (Strength | "imported")[];
  /** Per pair of response ids "chosen>rejected", the margin stored with the pair; read for imported
   *  judgements only, since a human judgement's margins follow from its strengths. */
  margins: Record<string, number>;
  promptPolicy: "allowed" | "sensitive" | "disallowed" | null;
  harmCategory: string | null;
  rubric: Record<string, "A" | "B" | "C" | "D">;
  /** A thumbs label on the task's single response, imported from a chat log (the kto layout). */
  feedback: Feedback | null;
  flags: Record<string, string[]>;
  shownOrder: string[];
  timeSpentMs: number | null;
  guidelinesVersion: number | null;
  reviewState: "pending" | "accepted" | "rejected" | "corrected";
  createdAt: Date;
};

/** A task with the annotations that passed the filters. */
export type ExportTask = {
  taskId: string;
  projectId: string;
  prompt: Message[];
  /** In import order. */
  responses: ExportResponse[];
  source: PromptSource;
  /** The imported row's meta (may hold its original id and safety labels); the prompt's for tasks
   *  imported before tasks kept their own. */
  meta: Record<string, unknown>;
  annotations: ExportAnnotation[];
};

/**
 * One judgement to serialise: a single annotation (aggregate=raw) or the merge of a task's
 * annotations (majority, bradley-terry, gold-weighted).
 */
export type ExportJudgement = {
  /** Annotation id for raw records, task id for merged ones. */
  id: string;
  task: Omit<ExportTask, "annotations">;
  ranking: string[][];
  strengths: (Strength | "imported")[];
  margins: Record<string, number>;
  promptPolicy: ExportAnnotation["promptPolicy"];
  harmCategory: string | null;
  rubric: ExportAnnotation["rubric"];
  feedback: Feedback | null;
  /** Raw records: who, what they saw, how long, under which guidelines. */
  annotation: Pick<ExportAnnotation, "annotatorId" | "origin" | "shownOrder" | "timeSpentMs" | "guidelinesVersion" | "reviewState" | "createdAt"> | null;
  /** Merged records: how, from how many annotations, and how much those agreed. */
  merge: { method: "majority" | "bradley-terry" | "gold-weighted"; annotations: number; agreement: number | null } | null;
};

export type ExportDemonstration = { id: string; taskId: string; prompt: Message[]; content: string; authorId: string | null; createdAt: Date };

export const exportFormats = ["pairs", "rankings", "hh", "openai-dpo", "kto", "sft"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const aggregates = ["raw", "majority", "bradley-terry", "gold-weighted"] as const;
export type Aggregate = (typeof aggregates)[number];

/** Bumped whenever a format's record shape changes; written into every snapshot manifest.
 *  2: rankings records carry their preference pairs (`pairs`). */
export const exportSchemaVersion = 2;
