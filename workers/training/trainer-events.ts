// The trainer's JSON-lines protocol (workers/trainer/trainer/events.py), read one stdout line at a
// time, and what a run has reported so far. Pure: no process, no database.
import { z } from "zod";

const ZStep = z.number().int().nonnegative();
// Optional on any event: how many steps the run has, when the trainer knows it.
const ZTotal = { total_steps: ZStep.positive().optional() };

const ZMetric = z.looseObject({ event: z.literal("metric"), step: ZStep, name: z.string().min(1), value: z.number(), ...ZTotal });
const ZCheckpoint = z.looseObject({ event: z.literal("checkpoint"), step: ZStep, path: z.string().min(1), ...ZTotal });
const ZEval = z.looseObject({ event: z.literal("eval"), step: ZStep, ...ZTotal });
const ZDone = z.looseObject({ event: z.literal("done"), command: z.string().optional(), interrupted: z.boolean().optional() });
const ZError = z.looseObject({ event: z.literal("error"), message: z.string() });
const ZServing = z.looseObject({ event: z.literal("serving"), url: z.url({ protocol: /^https?$/ }), backend: z.string(), model: z.string() });
const ZEvent = z.discriminatedUnion("event", [ZMetric, ZCheckpoint, ZEval, ZDone, ZError, ZServing]);

export type TrainerEvent =
  | { event: "metric"; step: number; name: string; value: number; totalSteps?: number }
  | { event: "checkpoint"; step: number; path: string; totalSteps?: number }
  | { event: "eval"; step: number; results: Record<string, unknown>; totalSteps?: number }
  | { event: "done"; interrupted: boolean; summary: Record<string, unknown> }
  | { event: "error"; message: string }
  /** A server command listens at `url`. */
  | { event: "serving"; url: string; backend: string; model: string };

/** A stdout line: an event, or text that is not one (kept as log, never interpreted). */
export type TrainerLine = { kind: "event"; event: TrainerEvent } | { kind: "text"; text: string; problem: string };

function withoutKeys(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

export function parseTrainerLine(line: string): TrainerLine {
  const text = line.trim();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: "text", text, problem: "not JSON" };
  }
  const parsed = ZEvent.safeParse(raw);
  if (!parsed.success) return { kind: "text", text, problem: parsed.error.issues.map((i) => `${i.path.join(".") || "event"}: ${i.message}`).join("; ") };
  const e = parsed.data;
  switch (e.event) {
    case "metric":
      return { kind: "event", event: { event: "metric", step: e.step, name: e.name, value: e.value, totalSteps: e.total_steps } };
    case "checkpoint":
      return { kind: "event", event: { event: "checkpoint", step: e.step, path: e.path, totalSteps: e.total_steps } };
    case "eval":
      return { kind: "event", event: { event: "eval", step: e.step, results: withoutKeys(e, ["event", "step", "time", "total_steps"]), totalSteps: e.total_steps } };
    case "done":
      return { kind: "event", event: { event: "done", interrupted: e.interrupted === true, summary: withoutKeys(e, ["event", "time"]) } };
    case "error":
      return { kind: "event", event: { event: "error", message: e.message } };
    case "serving":
      return { kind: "event", event: { event: "serving", url: e.url, backend: e.backend, model: e.model } };
  }
}

/** Everything a run has reported so far, folded from its events. */
export type RunReport = {
  step: number | null;
  totalSteps: number | null;
  lastCheckpoint: { step: number; path: string } | null;
  /** The latest `eval` event's results, with its step. */
  lastEval: ({ step: number } & Record<string, unknown>) | null;
  done: { interrupted: boolean; summary: Record<string, unknown> } | null;
  error: string | null;
  metricCount: number;
};

export const emptyReport: RunReport = { step: null, totalSteps: null, lastCheckpoint: null, lastEval: null, done: null, error: null, metricCount: 0 };

export function applyEvent(report: RunReport, event: TrainerEvent): RunReport {
  const total = "totalSteps" in event && event.totalSteps !== undefined ? event.totalSteps : report.totalSteps;
  const step = "step" in event ? Math.max(report.step ?? 0, event.step) : report.step;
  switch (event.event) {
    case "metric":
      return { ...report, step, totalSteps: total, metricCount: report.metricCount + 1 };
    case "checkpoint":
      return { ...report, step, totalSteps: total, lastCheckpoint: { step: event.step, path: event.path } };
    case "eval":
      return { ...report, step, totalSteps: total, lastEval: { step: event.step, ...event.results } };
    case "done":
      return { ...report, done: { interrupted: event.interrupted, summary: event.summary } };
    case "error":
      // The first error is the cause; later ones are usually consequences.
      return { ...report, error: report.error ?? event.message };
    case "serving":
      return report;
  }
}

/** Progress in [0, 1] when the run's length is known. */
export function progressOf(report: RunReport): number | undefined {
  if (report.done && !report.done.interrupted) return 1;
  if (report.step === null || !report.totalSteps) return undefined;
  return Math.min(1, report.step / report.totalSteps);
}
