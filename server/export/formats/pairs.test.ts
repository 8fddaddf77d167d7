import { describe, expect, it } from "vitest";
import { strengthMargin } from "../../annotation/ranking";
import { parsePairsRow } from "../../import/parse-pairs-row";
import { pairsRecords, ZPairsRecord, type PairsRecord } from "./pairs";
import {
  exportTask,
  humanAnnotation,
  judgementFromImport,
  jsonRoundTrip,
  mergedJudgement,
  multiTurnPrompt,
  rawJudgement,
  unicodeResponses,
  pairExport,
} from "./test-fixtures";

const tiedInTheMiddle = [["r1"], ["r2", "r3"], ["r4"]];
const sides = (records: PairsRecord[]) => records.map((r) => [r.chosen[0]!.content, r.rejected[0]!.content]);
const content = (id: string) => unicodeResponses.find((r) => r.id === id)!.content;

describe("pairs records", () => {
  it("writes every pair of responses in different groups, better first, and none between tied responses", () => {
    const records = pairsRecords(rawJudgement(humanAnnotation(tiedInTheMiddle)));
    expect(sides(records)).toEqual(
      [
        ["r1", "r2"],
        ["r1", "r3"],
        ["r1", "r4"],
        ["r2", "r4"],
        ["r3", "r4"],
      ].map(([c, r]) => [content(c!), content(r!)]),
    );
    expect(records.map((r) => r.meta.export)).not.toContainEqual(expect.objectContaining({ chosenId: "r2", rejectedId: "r3" }));
  });

  it("writes no record when all responses tie", () => {
    expect(pairsRecords(rawJudgement(humanAnnotation([["r1", "r2", "r3", "r4"]])))).toEqual([]);
  });

  it("takes a pair's stored margin when there is one, else adds the steps' margins like derivePairs", () => {
    const judgement = rawJudgement(
      humanAnnotation([["r1"], ["r2"], ["r3", "r4"]], { strengths: ["slight", "clear"], margins: { "r1>r4": 0.9 } }),
    );
    const margins = Object.fromEntries(pairsRecords(judgement).map((r) => [`${pairExport(r).chosenId}>${pairExport(r).rejectedId}`, r.margin]));
    expect(margins).toEqual({
      "r1>r2": strengthMargin.slight,
      "r1>r3": 1, // 1/3 + 2/3
      "r1>r4": 0.9,
      "r2>r3": strengthMargin.clear,
      "r2>r4": strengthMargin.clear,
    });
  });

  it("counts a step of unknown strength (imported, or none stored) as full strength", () => {
    const annotation = humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]], { strengths: ["slight"] });
    const records = pairsRecords(rawJudgement(annotation));
    expect(records.find((r) => pairExport(r).rejectedId === "r2")!.margin).toBeCloseTo(1 / 3, 12);
    expect(records.filter((r) => pairExport(r).rejectedId !== "r2").map((r) => r.margin)).toEqual([1, 1, 1, 1, 1]);
    const r2r3 = records.find((r) => pairExport(r).chosenId === "r2" && pairExport(r).rejectedId === "r3")!;
    expect(pairExport(r2r3).strength).toBe("imported");
  });

  it("labels a pair with the prompt policy, harm category and the rubric grades of its two responses", () => {
    const judgement = rawJudgement(humanAnnotation(tiedInTheMiddle, { rubric: { r1: "A", r2: "B", r3: "C", r4: "D" } }));
    const [first] = pairsRecords(judgement);
    expect(first!.safety).toEqual({ promptPolicy: "disallowed", harmCategory: "privacy", rubric: { r1: "A", r2: "B" } });
  });

  it("keeps a raw judgement's provenance: task, models, annotator, shown order, time, guidelines, review state", () => {
    const annotation = humanAnnotation(tiedInTheMiddle, { id: "ann-x", annotatorId: "alice", shownOrder: ["r3", "r1", "r4", "r2"] });
    const [first] = pairsRecords(rawJudgement(annotation));
    expect(first!.meta).toEqual({
      topic: "language",
      batch: 3,
      export: {
        taskId: "task-1",
        projectId: "project-1",
        source: "production",
        models: { r1: "policy-v2", r2: "policy-v1", r3: null, r4: "policy-v1" },
        annotationId: "ann-x",
        annotatorId: "alice",
        shownOrder: ["r3", "r1", "r4", "r2"],
        timeSpentMs: 4200,
        guidelinesVersion: 3,
        reviewState: "accepted",
        createdAt: "2026-11-01T10:00:00.000Z",
        chosenId: "r1",
        rejectedId: "r2",
        strength: "clear",
      },
    });
    expect(first!.id).toBe("ann-x:r1:r2");
    expect(first!.source).toBe("production");
  });

  it("keeps a merged judgement's method, annotation count and agreement, and no single annotator", () => {
    const judgement = mergedJudgement([humanAnnotation(tiedInTheMiddle), humanAnnotation(tiedInTheMiddle), humanAnnotation([["r4"], ["r1", "r2", "r3"]])]);
    const records = pairsRecords(judgement);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.meta.export).toMatchObject({ taskId: "task-1", merge: { method: "majority", annotations: 3 } });
      expect(record.meta.export).not.toHaveProperty("annotatorId");
      expect(record.id).toMatch(/^task-1:r\d:r\d$/);
      expect(ZPairsRecord.safeParse(record).success).toBe(true);
    }
  });

  it("uses the file's id only while the judgement has exactly one pair, so ids never repeat", () => {
    const task = exportTask({ meta: { id: "row-7" } });
    const two = exportTask({ ...task, responses: unicodeResponses.slice(0, 2) });
    expect(pairsRecords(rawJudgement(humanAnnotation([["r2"], ["r1"]]), two)).map((r) => r.id)).toEqual(["row-7"]);
    const ids = pairsRecords(rawJudgement(humanAnnotation(tiedInTheMiddle, { id: "ann-9" }), task)).map((r) => r.id);
    expect(ids).toEqual(["ann-9:r1:r2", "ann-9:r1:r3", "ann-9:r1:r4", "ann-9:r2:r4", "ann-9:r3:r4"]);
  });

  it("leaves the file's id and safety out of meta: they have their own fields", () => {
    const task = exportTask({ meta: { id: 12, safety: { harmful: true }, lang: "ja" } });
    const [first] = pairsRecords(rawJudgement(humanAnnotation(tiedInTheMiddle), task));
    expect(Object.keys(first!.meta).sort()).toEqual(["export", "lang"]);
  });

  it("passes the file's safety through for an imported judgement, and leaves safety out when there is none", () => {
    const withSafety = judgementFromImport(parsePairsRow({ prompt: "Hi?", chosen: "Hello.", rejected: "Go away.", safety: { toxic: [false, true] } }));
    expect(pairsRecords(withSafety)[0]!.safety).toEqual({ toxic: [false, true] });
    const without = judgementFromImport(parsePairsRow({ prompt: "Hi?", chosen: "Hello.", rejected: "Go away." }));
    expect(pairsRecords(without)[0]).not.toHaveProperty("safety");
  });

  it("round trip: a pairs row with id, margin, safety, source and meta exports as itself and re-imports as the same record", () => {
    const row = {
      id: "pair-🧠-1",
      prompt: multiTurnPrompt,
      chosen: [{ role: "assistant", content: "دماغ 🧠 — 脳" }],
      rejected: [{ role: "assistant", content: "cafe\u0301?" }],
      margin: 0.25,
      safety: { promptPolicy: "allowed", labels: { chosen: "D" } },
      source: "red_team",
      meta: { lang: "ar", nested: { k: [1, "二"] } },
    };
    const record = parsePairsRow(row);
    const exported = pairsRecords(judgementFromImport(record));
    expect(exported).toHaveLength(1);
    const [out] = exported;
    expect(ZPairsRecord.safeParse(out).success).toBe(true);
    expect(jsonRoundTrip(out)).toEqual(row);
    expect(parsePairsRow(jsonRoundTrip(out))).toEqual(record);
  });

  it("round trip: a numeric id and plain-string sides come back as the same import record", () => {
    const row = { id: 42, prompt: "2+2?", chosen: "4", rejected: "5", margin: 1 };
    const record = parsePairsRow(row);
    const [out] = pairsRecords(judgementFromImport(record));
    expect(out!.id).toBe(42);
    expect(out!.prompt).toEqual([{ role: "user", content: "2+2?" }]);
    expect(parsePairsRow(jsonRoundTrip(out))).toEqual(record);
  });

  it("validates against the schema for raw, merged and imported judgements with unicode multi-turn prompts", () => {
    const judgements = [
      rawJudgement(humanAnnotation(tiedInTheMiddle)),
      mergedJudgement([humanAnnotation(tiedInTheMiddle), humanAnnotation([["r2"], ["r1"], ["r3"], ["r4"]])], "bradley-terry"),
      mergedJudgement([humanAnnotation(tiedInTheMiddle), humanAnnotation([["r1"], ["r2", "r3", "r4"]])], "gold-weighted"),
      judgementFromImport(parsePairsRow({ prompt: multiTurnPrompt, chosen: "脳", rejected: "מוח" })),
    ];
    for (const judgement of judgements) {
      for (const record of pairsRecords(judgement)) {
        expect(ZPairsRecord.safeParse(record).error).toBeUndefined();
        expect(jsonRoundTrip(record)).toEqual(record);
      }
    }
  });
});
