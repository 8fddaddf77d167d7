import { describe, expect, it } from "vitest";
import { applyEvent, emptyReport, parseTrainerLine, progressOf, type TrainerEvent } from "./trainer-events";

const events = (lines: string[]) =>
  lines.map((l) => {
    const parsed = parseTrainerLine(l);
    if (parsed.kind !== "event") throw new Error(`not an event: ${l} (${parsed.problem})`);
    return parsed.event;
  });

describe("parseTrainerLine", () => {
  it("reads each event kind of the protocol, dropping the timestamp", () => {
    expect(
      events([
        '{"event":"metric","step":3,"name":"train/loss","value":0.69,"time":1.5}',
        '{"event":"checkpoint","step":4,"path":"/runs/j/checkpoints/step-4","time":2}',
        '{"event":"eval","step":4,"accuracy":0.75,"per_category":{"allowed":1},"time":2}',
        '{"event":"done","command":"reward","steps":4,"interrupted":false,"time":3}',
        '{"event":"error","message":"snapshot file x does not exist","time":3}',
      ]),
    ).toEqual([
      { event: "metric", step: 3, name: "train/loss", value: 0.69, totalSteps: undefined },
      { event: "checkpoint", step: 4, path: "/runs/j/checkpoints/step-4", totalSteps: undefined },
      { event: "eval", step: 4, results: { accuracy: 0.75, per_category: { allowed: 1 } }, totalSteps: undefined },
      { event: "done", interrupted: false, summary: { command: "reward", steps: 4, interrupted: false } },
      { event: "error", message: "snapshot file x does not exist" },
    ]);
  });

  it("takes the run's length from total_steps when an event carries it", () => {
    expect(events(['{"event":"metric","step":1,"name":"train/loss","value":1,"total_steps":20}'])[0]).toMatchObject({ totalSteps: 20 });
  });

  it("keeps lines that are not events as text, saying why, instead of guessing", () => {
    expect(parseTrainerLine("Some library printed this")).toMatchObject({ kind: "text", problem: "not JSON" });
    expect(parseTrainerLine('{"event":"metric","step":"one","name":"train/loss","value":1}')).toMatchObject({ kind: "text", problem: expect.stringContaining("step") });
    expect(parseTrainerLine('{"event":"progress","step":1}')).toMatchObject({ kind: "text" });
    expect(parseTrainerLine("[1, 2]")).toMatchObject({ kind: "text" });
  });
});

describe("run report", () => {
  const fold = (list: TrainerEvent[]) => list.reduce(applyEvent, emptyReport);

  it("follows the latest step, checkpoint and eval, and counts metrics", () => {
    const report = fold(
      events([
        '{"event":"metric","step":1,"name":"train/loss","value":0.7,"total_steps":4}',
        '{"event":"metric","step":2,"name":"train/loss","value":0.6}',
        '{"event":"checkpoint","step":2,"path":"c2"}',
        '{"event":"eval","step":2,"accuracy":0.5}',
      ]),
    );
    expect(report).toMatchObject({ step: 2, totalSteps: 4, lastCheckpoint: { step: 2, path: "c2" }, lastEval: { step: 2, accuracy: 0.5 }, metricCount: 2, done: null, error: null });
    expect(progressOf(report)).toBe(0.5);
  });

  it("has no progress until the run's length is known, and 1 once it is done", () => {
    const running = fold(events(['{"event":"metric","step":5,"name":"train/loss","value":1}']));
    expect(progressOf(running)).toBeUndefined();
    expect(progressOf(applyEvent(running, { event: "done", interrupted: false, summary: {} }))).toBe(1);
    expect(progressOf(applyEvent(running, { event: "done", interrupted: true, summary: {} }))).toBeUndefined();
  });

  it("keeps the first error as the cause", () => {
    const report = fold([
      { event: "error", message: "CUDA out of memory" },
      { event: "error", message: "could not save" },
    ]);
    expect(report.error).toBe("CUDA out of memory");
  });
});
