import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { derivePairs, pairCount, rankOf, strengths, type Ranking } from "../../annotation/ranking";
import { exportFormats, type ExportJudgement } from "../types";
import { formatSchemas, serialise, serialiseDemonstration } from "./index";
import type { PairsRecord } from "./pairs";
import type { RankingsRecord } from "./rankings";
import { exportTask, humanAnnotation, jsonRoundTrip, mergedJudgement, multiTurnPrompt, pairExport, rawJudgement } from "./test-fixtures";

const judgementFormats = ["pairs", "rankings", "hh", "openai-dpo", "kto"] as const;
const pairFormats = ["pairs", "hh", "openai-dpo"] as const;

/** 2..8 responses, cut into random groups (ties), random strengths and some stored margins. */
const arbJudgement = fc.integer({ min: 2, max: 8 }).chain((k) => {
  const ids = Array.from({ length: k }, (_, i) => `r${i + 1}`);
  return fc
    .record({
      order: fc.shuffledSubarray(ids, { minLength: k, maxLength: k }),
      cuts: fc.array(fc.boolean(), { minLength: k - 1, maxLength: k - 1 }),
      steps: fc.array(fc.constantFrom(...strengths), { minLength: k - 1, maxLength: k - 1 }),
      stored: fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), { minLength: k * k, maxLength: k * k }),
    })
    .map(({ order, cuts, steps, stored }) => {
      const groups: string[][] = [[order[0]!]];
      order.slice(1).forEach((id, i) => (cuts[i] ? groups.push([id]) : groups[groups.length - 1]!.push(id)));
      const ranking: Ranking = { groups, strengths: steps.slice(0, groups.length - 1) };
      const margins: Record<string, number> = {};
      ids.forEach((a, i) => ids.forEach((b, j) => {
        const m = stored[i * k + j];
        if (m !== undefined && a !== b) margins[`${a}>${b}`] = m;
      }));
      const task = exportTask({ responses: ids.map((id) => ({ id, content: `answer ${id} 🧠 ${id.repeat(2)}`, model: null })) });
      const judgement = rawJudgement(humanAnnotation(groups, { strengths: ranking.strengths, margins, rubric: {} }), task);
      return { ranking, judgement };
    });
});

describe("serialise", () => {
  it("has a record schema for every export format", () => {
    expect(Object.keys(formatSchemas).sort()).toEqual([...exportFormats].sort());
  });

  it("refuses sft, which is made from demonstrations", () => {
    expect(() => serialise("sft", rawJudgement(humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]])))).toThrow(/demonstrations/);
  });

  it("property: pair formats write one record per derivePairs pair, in its order, never between tied responses", () => {
    fc.assert(
      fc.property(arbJudgement, ({ ranking, judgement }) => {
        const expected = derivePairs(ranking);
        expect(expected).toHaveLength(pairCount(ranking));
        for (const format of pairFormats) expect(serialise(format, judgement)).toHaveLength(expected.length);
        const pairs = serialise("pairs", judgement) as PairsRecord[];
        expect(pairs.map((p) => [pairExport(p).chosenId, pairExport(p).rejectedId])).toEqual(expected.map((p) => [p.chosenId, p.rejectedId]));
        expect(pairs.map((p) => p.margin)).toEqual(expected.map((p) => judgement.margins[`${p.chosenId}>${p.rejectedId}`] ?? p.margin));
        const rank = rankOf(ranking);
        for (const p of pairs) expect(rank.get(pairExport(p).chosenId)!).toBeLessThan(rank.get(pairExport(p).rejectedId)!);
        const [record] = serialise("rankings", judgement) as RankingsRecord[];
        expect(record!.responses.map((r) => r.rank)).toEqual(judgement.task.responses.map((r) => rank.get(r.id)));
        for (const format of judgementFormats) for (const out of serialise(format, judgement)) expect(formatSchemas[format].safeParse(out).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: equal judgements give byte-identical JSON, and the input is left untouched", () => {
    const judgements: ExportJudgement[] = [
      rawJudgement(humanAnnotation([["r1"], ["r2", "r3"], ["r4"]])),
      mergedJudgement([humanAnnotation([["r1"], ["r2", "r3"], ["r4"]]), humanAnnotation([["r4"], ["r1"], ["r2"], ["r3"]])], "bradley-terry"),
    ];
    for (const judgement of judgements) {
      const copy = structuredClone(judgement);
      for (const format of judgementFormats) {
        const first = JSON.stringify(serialise(format, judgement));
        expect(JSON.stringify(serialise(format, copy))).toBe(first);
        expect(JSON.stringify(serialise(format, judgement))).toBe(first);
      }
      expect(judgement).toEqual(copy);
    }
  });

  it("writes prompt messages as role then content whatever key order or extra keys the input has", () => {
    const shuffled = multiTurnPrompt.map((m) => ({ content: m.content, extra: 1, role: m.role }));
    const annotation = humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]]);
    const a = rawJudgement(annotation);
    const b = rawJudgement(annotation, exportTask({ prompt: shuffled }));
    for (const format of judgementFormats) expect(JSON.stringify(serialise(format, b))).toBe(JSON.stringify(serialise(format, a)));
  });

  it("every format's records validate against its schema and survive JSON, for unicode multi-turn raw and merged judgements", () => {
    const raw = rawJudgement(humanAnnotation([["r2"], ["r1", "r4"], ["r3"]]));
    const merged = mergedJudgement([humanAnnotation([["r2"], ["r1", "r4"], ["r3"]]), humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]])]);
    for (const judgement of [raw, merged]) {
      for (const format of judgementFormats) {
        const records = serialise(format, judgement);
        expect(records.length).toBeGreaterThan(0);
        for (const record of records) {
          expect(formatSchemas[format].safeParse(record).error).toBeUndefined();
          expect(jsonRoundTrip(record)).toEqual(record);
        }
      }
    }
    const sft = serialiseDemonstration({ id: "d", taskId: "task-1", prompt: multiTurnPrompt, content: "脳 🧠", authorId: null, createdAt: new Date(0) });
    expect(formatSchemas.sft.safeParse(sft).error).toBeUndefined();
  });
});
