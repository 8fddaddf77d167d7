import { describe, expect, it } from "vitest";
import { parsePairsRow } from "../../import/parse-pairs-row";
import { parseTasksRow } from "../../import/parse-tasks-row";
import { rankingsRecords, ZRankingsRecord } from "./rankings";
import { exportTask, humanAnnotation, judgementFromImport, jsonRoundTrip, mergedJudgement, multiTurnPrompt, rawJudgement, unicodeResponses } from "./test-fixtures";

describe("rankings records", () => {
  it("writes one record per judgement, responses in import order, tied responses sharing a rank", () => {
    const records = rankingsRecords(rawJudgement(humanAnnotation([["r3"], ["r1", "r4"], ["r2"]], { id: "ann-r" })));
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record!.id).toBe("ann-r");
    expect(record!.prompt).toEqual(multiTurnPrompt);
    expect(record!.responses.map((r) => [r.id, r.content, r.model, r.rank])).toEqual(unicodeResponses.map((r) => [r.id, r.content, r.model, { r1: 1, r2: 2, r3: 0, r4: 1 }[r.id]]));
  });

  it("writes nothing for a task with a single response (an imported thumbs row): there is nothing to rank", () => {
    expect(rankingsRecords(rawJudgement(humanAnnotation([["r1"]]), exportTask({ responses: [unicodeResponses[0]!] })))).toEqual([]);
  });

  it("gives each response its rubric grade, or null when it has none", () => {
    const [record] = rankingsRecords(rawJudgement(humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]], { rubric: { r1: "A", r3: "C" } })));
    expect(record!.responses.map((r) => r.rubric)).toEqual(["A", null, "C", null]);
    expect(record!.safety).toEqual({ promptPolicy: "disallowed", harmCategory: "privacy", rubric: { r1: "A", r3: "C" } });
  });

  it("writes one strength per step between groups, naming the steps of an imported judgement 'imported'", () => {
    const [human] = rankingsRecords(rawJudgement(humanAnnotation([["r1"], ["r2", "r3"], ["r4"]], { strengths: ["strong", "negligible"] })));
    expect(human!.strengths).toEqual(["strong", "negligible"]);
    // The import stores no strengths at all.
    const record = parsePairsRow({ prompt: "Hi?", chosen: "Hello.", rejected: "Go away." });
    const [imported] = rankingsRecords(judgementFromImport(record));
    expect(imported!.strengths).toEqual(["imported"]);
  });

  it("keeps a merged judgement's merge info and the prompt's import meta", () => {
    const judgement = mergedJudgement([humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]]), humanAnnotation([["r2"], ["r1"], ["r3"], ["r4"]])]);
    const [record] = rankingsRecords(judgement);
    expect(record!.id).toBe("task-1");
    expect(record!.meta).toMatchObject({ topic: "language", batch: 3, export: { taskId: "task-1", merge: { method: "majority", annotations: 2 } } });
    expect(record!.meta.export).not.toHaveProperty("annotatorId");
  });

  it("reads back as a tasks import row with the same prompt, responses, models and source", () => {
    const task = exportTask({ source: "model_generated" });
    const [record] = rankingsRecords(rawJudgement(humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]]), task));
    const reimported = parseTasksRow(jsonRoundTrip(record));
    expect(reimported.prompt).toEqual(task.prompt);
    expect(reimported.responses).toEqual(task.responses.map((r) => ({ content: r.content, model: r.model })));
    expect(reimported.source).toBe("model_generated");
  });

  it("validates against the schema for raw, merged and imported judgements", () => {
    const judgements = [
      rawJudgement(humanAnnotation([["r1", "r2", "r3", "r4"]])),
      mergedJudgement([humanAnnotation([["r4"], ["r3"], ["r1", "r2"]]), humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]])], "bradley-terry"),
      judgementFromImport(parsePairsRow({ prompt: multiTurnPrompt, chosen: "脳", rejected: "מוח", safety: { x: 1 } })),
    ];
    for (const judgement of judgements) {
      const [record] = rankingsRecords(judgement);
      expect(ZRankingsRecord.safeParse(record).error).toBeUndefined();
      expect(jsonRoundTrip(record)).toEqual(record);
    }
  });
});
