// What a finished trainer process means for the job, from its events, exit status and log. Pure.
import type { RunReport } from "./trainer-events";

export type TrainerExit = { code: number | null; signal: string | null };

export type RunOutcome =
  | { status: "succeeded"; summary: Record<string, unknown> }
  /** Stopped on request (cancel or worker shutdown) after saving a checkpoint. */
  | { status: "interrupted"; checkpointStep: number | null }
  /** `retry`: whether another attempt could do better (a crash or a kill, not bad input). */
  | { status: "failed"; message: string; retry: boolean };

/** Exit code 2: the trainer refused its input (config, snapshot, model); the same input fails again. */
export const badInputExitCode = 2;

export function decideOutcome(report: RunReport, exit: TrainerExit, logTail: readonly string[], opts: { stopRequested: boolean }): RunOutcome {
  const tail = logTail.length ? `\n\nLast lines of the trainer's log:\n${logTail.join("\n")}` : "";
  if (report.error !== null) {
    const crashed = exit.code !== 0 && exit.code !== badInputExitCode;
    return { status: "failed", message: crashed ? `${report.error}${tail}` : report.error, retry: crashed };
  }
  if (exit.code === 0) {
    if (report.done?.interrupted || (!report.done && opts.stopRequested)) return { status: "interrupted", checkpointStep: report.lastCheckpoint?.step ?? null };
    if (report.done) return { status: "succeeded", summary: report.done.summary };
    return { status: "failed", message: `The trainer exited without reporting that it was done.${tail}`, retry: true };
  }
  if (exit.signal !== null) {
    if (opts.stopRequested) return { status: "interrupted", checkpointStep: report.lastCheckpoint?.step ?? null };
    return { status: "failed", message: `The trainer was killed (${exit.signal}).${tail}`, retry: true };
  }
  return { status: "failed", message: `The trainer exited with code ${exit.code}.${tail}`, retry: exit.code !== badInputExitCode };
}

/** The last `max` lines of a stream, each cut to a readable length. */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly max = 50,
    private readonly maxLineChars = 2000,
  ) {}

  push(line: string): void {
    const trimmed = line.replace(/\s+$/, "");
    if (!trimmed) return;
    this.lines.push(trimmed.length > this.maxLineChars ? `${trimmed.slice(0, this.maxLineChars)}…` : trimmed);
    if (this.lines.length > this.max) this.lines.shift();
  }

  get all(): readonly string[] {
    return this.lines;
  }

  toString(): string {
    return this.lines.join("\n");
  }
}
