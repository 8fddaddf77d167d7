import { describe, expect, it } from "vitest";
import { decideOutcome, LineTail } from "./run-outcome";
import { emptyReport, type RunReport } from "./trainer-events";

const report = (r: Partial<RunReport>): RunReport => ({ ...emptyReport, ...r });
const running = { stopRequested: false };
const done = (interrupted = false) => ({ interrupted, summary: { steps: 8, interrupted } });

describe("decideOutcome", () => {
  it("succeeds on exit 0 with a done event", () => {
    expect(decideOutcome(report({ done: done() }), { code: 0, signal: null }, [], running)).toEqual({ status: "succeeded", summary: { steps: 8, interrupted: false } });
  });

  it("reports a stop after SIGTERM as interrupted at the last checkpoint, not as a failure", () => {
    const r = report({ done: done(true), lastCheckpoint: { step: 6, path: "c6" } });
    expect(decideOutcome(r, { code: 0, signal: null }, [], { stopRequested: true })).toEqual({ status: "interrupted", checkpointStep: 6 });
    expect(decideOutcome(report({}), { code: null, signal: "SIGKILL" }, [], { stopRequested: true })).toEqual({ status: "interrupted", checkpointStep: null });
  });

  it("fails bad input for good with the trainer's own message", () => {
    const r = report({ error: "unknown config key(s) for reward: lrr" });
    expect(decideOutcome(r, { code: 2, signal: null }, ["noise"], running)).toEqual({ status: "failed", message: "unknown config key(s) for reward: lrr", retry: false });
  });

  it("retries a crash, with the error and the log's last lines", () => {
    const r = report({ error: "RuntimeError: boom" });
    const outcome = decideOutcome(r, { code: 1, signal: null }, ["Traceback (most recent call last):", "RuntimeError: boom"], running);
    expect(outcome).toMatchObject({ status: "failed", retry: true });
    expect(outcome.status === "failed" && outcome.message).toMatch(/^RuntimeError: boom\n\nLast lines of the trainer's log:\nTraceback/);
  });

  it("explains a kill or a silent exit with the log's tail", () => {
    expect(decideOutcome(report({}), { code: null, signal: "SIGKILL" }, ["step 3"], running)).toEqual({
      status: "failed",
      message: "The trainer was killed (SIGKILL).\n\nLast lines of the trainer's log:\nstep 3",
      retry: true,
    });
    expect(decideOutcome(report({}), { code: 0, signal: null }, [], running)).toMatchObject({ status: "failed", message: "The trainer exited without reporting that it was done.", retry: true });
    expect(decideOutcome(report({}), { code: 2, signal: null }, [], running)).toMatchObject({ status: "failed", retry: false });
    expect(decideOutcome(report({}), { code: 137, signal: null }, [], running)).toMatchObject({ status: "failed", message: "The trainer exited with code 137.", retry: true });
  });
});

describe("LineTail", () => {
  it("keeps the last lines, cut to a readable length, skipping blank ones", () => {
    const tail = new LineTail(3, 10);
    for (const line of ["a", "", "b", "c", "d".repeat(20), "e  "]) tail.push(line);
    expect(tail.all).toEqual(["c", `${"d".repeat(10)}…`, "e"]);
    expect(tail.toString()).toBe(`c\n${"d".repeat(10)}…\ne`);
  });
});
