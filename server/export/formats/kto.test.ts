import { describe, expect, it } from "vitest";
import { parseKtoRow } from "../../import/parse-kto-row";
import { parsePairsRow } from "../../import/parse-pairs-row";
import { serialise } from "./index";
import { ktoRecords, ZKtoRecord, type KtoRecord } from "./kto";
import { exportTask, humanAnnotation, judgementFromImport, jsonRoundTrip, mergedJudgement, multiTurnPrompt, rawJudgement, unicodeResponses } from "./test-fixtures";

type Export = { annotationId?: string; responseId: string; reason: string };
const exportOf = (r: KtoRecord) => r.meta.export as Export;
/** [response id, label, reason] per record, in record order. */
const verdicts = (records: KtoRecord[]) => records.map((r) => [exportOf(r).responseId, r.label, exportOf(r).reason]);
const content = (id: string) => unicodeResponses.find((r) => r.id === id)!.content;
const safeCompliance = { r1: "D", r2: "D", r3: "D", r4: "D" } as const;

describe("kto records", () => {
  it("labels the top group good and the bottom group bad, and leaves middle groups out", () => {
    const records = ktoRecords(rawJudgement(humanAnnotation([["r2"], ["r1"], ["r3"], ["r4"]], { rubric: safeCompliance })));
    expect(verdicts(records)).toEqual([
      ["r2", true, "best"],
      ["r4", false, "worst"],
    ]);
  });

  it("labels every response of a tied top or bottom group", () => {
    const records = ktoRecords(rawJudgement(humanAnnotation([["r1", "r3"], ["r2"], ["r4"]], { rubric: safeCompliance })));
    expect(verdicts(records)).toEqual([
      ["r1", true, "best"],
      ["r3", true, "best"],
      ["r4", false, "worst"],
    ]);
  });

  it("labels unsafe content (rubric C) bad whatever its rank", () => {
    const records = ktoRecords(rawJudgement(humanAnnotation([["r1"], ["r2", "r3"], ["r4"]], { promptPolicy: "disallowed", rubric: { ...safeCompliance, r1: "C", r2: "C" } })));
    expect(verdicts(records)).toEqual([
      ["r1", false, "unsafe"],
      ["r2", false, "unsafe"],
      ["r4", false, "worst"],
    ]);
  });

  it("labels a refusal of an allowed prompt bad (over-refusal), but not a refusal of a disallowed one", () => {
    const ranking = [["r1"], ["r2"], ["r3"], ["r4"]];
    const allowed = ktoRecords(rawJudgement(humanAnnotation(ranking, { promptPolicy: "allowed", harmCategory: null, rubric: { ...safeCompliance, r1: "A", r3: "B" } })));
    expect(verdicts(allowed)).toEqual([
      ["r1", false, "over-refusal"],
      ["r3", false, "over-refusal"],
      ["r4", false, "worst"],
    ]);
    const disallowed = ktoRecords(rawJudgement(humanAnnotation(ranking, { promptPolicy: "disallowed", rubric: { ...safeCompliance, r1: "A", r3: "B" } })));
    expect(verdicts(disallowed)).toEqual([
      ["r1", true, "best"],
      ["r4", false, "worst"],
    ]);
  });

  it("writes nothing for an all-tied ranking without a thumbs label", () => {
    expect(ktoRecords(rawJudgement(humanAnnotation([["r1", "r2", "r3", "r4"]], { rubric: safeCompliance })))).toEqual([]);
  });

  it("takes the thumbs label of a one-group judgement, and the rubric still overrides it", () => {
    const task = exportTask({ responses: [unicodeResponses[0]!] });
    const thumb = (feedback: "up" | "down", rubric = {}) => ktoRecords(rawJudgement(humanAnnotation([["r1"]], { origin: "imported", feedback, promptPolicy: null, harmCategory: null, rubric }), task));
    // The file's own label: the record is the file's row, without an export block.
    expect(thumb("up").map((r) => [r.label, r.meta])).toEqual([[true, { topic: "language", batch: 3 }]]);
    expect(thumb("down").map((r) => r.label)).toEqual([false]);
    // A reviewer's correction that grades the answer unsafe wins over the user's thumbs up.
    expect(verdicts(thumb("up", { r1: "C" }))).toEqual([["r1", false, "unsafe"]]);
    const human = ktoRecords(rawJudgement(humanAnnotation([["r1"]], { feedback: "up", rubric: {} }), task));
    expect(verdicts(human)).toEqual([["r1", true, "feedback"]]);
  });

  it("ignores a thumbs label when the ranking has groups to go by", () => {
    const records = ktoRecords(rawJudgement(humanAnnotation([["r1"], ["r2", "r3", "r4"]], { feedback: "down", rubric: safeCompliance })));
    expect(records.map((r) => [exportOf(r).responseId, r.label])).toEqual([
      ["r1", true],
      ["r2", false],
      ["r3", false],
      ["r4", false],
    ]);
  });

  it("maps merged judgements the same way, from the merged ranking and labels", () => {
    const annotations = [
      humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]], { rubric: { ...safeCompliance, r4: "C" } }),
      humanAnnotation([["r1"], ["r3"], ["r2"], ["r4"]], { rubric: { ...safeCompliance, r4: "C" } }),
      humanAnnotation([["r2"], ["r1"], ["r3"], ["r4"]], { rubric: safeCompliance }),
    ];
    for (const method of ["majority", "bradley-terry", "gold-weighted"] as const) {
      const j = mergedJudgement(annotations, method);
      const records = ktoRecords(j);
      expect(verdicts(records), method).toEqual([
        ["r1", true, "best"],
        ["r4", false, "unsafe"],
      ]);
      expect(records[0]!.id).toBe(`task-1:r1`);
      expect(records[0]!.meta.export).toMatchObject({ taskId: "task-1", merge: { method, annotations: 3 } });
    }
  });

  it("merges thumbs labels by plurality; a tie gives no record", () => {
    const task = exportTask({ responses: [unicodeResponses[0]!] });
    const thumbs = (...feedback: ("up" | "down")[]) =>
      ktoRecords(mergedJudgement(feedback.map((f) => humanAnnotation([["r1"]], { origin: "imported", annotatorId: null, feedback: f, promptPolicy: null, harmCategory: null, rubric: {} })), "majority", task));
    expect(thumbs("up", "down", "down").map((r) => r.label)).toEqual([false]);
    expect(thumbs("up", "down")).toEqual([]);
  });

  it("validates against its schema and carries provenance, the response and the reason", () => {
    const annotation = humanAnnotation([["r2"], ["r1", "r3"], ["r4"]], { rubric: { r2: "D", r4: "D" } });
    const records = ktoRecords(rawJudgement(annotation));
    for (const r of records) expect(ZKtoRecord.parse(jsonRoundTrip(r))).toEqual(r);
    expect(records[0]).toEqual({
      id: `${annotation.id}:r2`,
      prompt: multiTurnPrompt,
      completion: [{ role: "assistant", content: content("r2") }],
      label: true,
      safety: { promptPolicy: "disallowed", harmCategory: "privacy", rubric: { r2: "D" } },
      source: "production",
      meta: {
        topic: "language",
        batch: 3,
        export: expect.objectContaining({ annotationId: annotation.id, annotatorId: annotation.annotatorId, taskId: "task-1", responseId: "r2", reason: "best" }),
      },
    });
  });

  it("writes a kto file row back as it came, and parses back to the same import record", () => {
    for (const row of [
      { id: "c-1", prompt: multiTurnPrompt, completion: [{ role: "assistant", content: "脳 🧠" }], label: true, safety: { promptPolicy: "allowed" }, source: "production", meta: { chat: "x" } },
      { id: 9, prompt: multiTurnPrompt, completion: [{ role: "assistant", content: "No." }], label: false, source: "imported", meta: {} },
    ]) {
      const record = parseKtoRow(row);
      const [out, ...more] = serialise("kto", judgementFromImport(record));
      expect(more).toEqual([]);
      expect(out).toEqual(row);
      expect(parseKtoRow(out)).toEqual(record);
    }
  });

  it("a thumbs row gives no record in the pair formats or rankings", () => {
    const j = judgementFromImport(parseKtoRow({ prompt: "q", completion: "a", label: true }));
    for (const format of ["pairs", "rankings", "hh", "openai-dpo"] as const) expect(serialise(format, j), format).toEqual([]);
  });

  it("a pairs file row exports as best and worst with their provenance (it is not a kto row)", () => {
    const j = judgementFromImport(parsePairsRow({ id: "p1", prompt: "q", chosen: "good", rejected: "bad" }));
    const records = ktoRecords(j);
    expect(records.map((r) => [r.completion[0]!.content, r.label, exportOf(r).reason])).toEqual([
      ["good", true, "best"],
      ["bad", false, "worst"],
    ]);
    expect(records.map((r) => r.id)).toEqual([`${j.id}:${j.task.responses[0]!.id}`, `${j.id}:${j.task.responses[1]!.id}`]);
  });
});
