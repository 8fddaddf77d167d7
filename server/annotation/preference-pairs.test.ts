// The one definition of a preference pair, checked against the fixture the trainer's tests read
// too (workers/trainer/tests/test_preference_pairs.py): what derivePairs gives, and what a
// rankings record carries for the trainer to take as it is.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exportTask, humanAnnotation, rawJudgement } from "../export/formats/test-fixtures";
import { rankingsRecords } from "../export/formats/rankings";
import { derivePairs, type PairStrength } from "./ranking";

type Pair = { chosen: string; rejected: string; margin: number; strength: string };
type Case = { name: string; ranking: string[][]; strengths: PairStrength[]; margins: Record<string, number>; pairs: Pair[] };

const fixture = JSON.parse(readFileSync(path.join(__dirname, "../test/corpus/preference-pairs.json"), "utf8")) as { cases: Case[] };

function close(actual: Pair[], expected: Pair[]) {
  const withoutMargin = (p: Pair) => ({ chosen: p.chosen, rejected: p.rejected, strength: p.strength });
  expect(actual.map(withoutMargin)).toEqual(expected.map(withoutMargin));
  actual.forEach((p, i) => expect(p.margin).toBeCloseTo(expected[i]!.margin, 12));
}

describe("preference pairs (shared fixture)", () => {
  it("has cases", () => expect(fixture.cases.length).toBeGreaterThan(4));

  for (const c of fixture.cases) {
    it(`derivePairs: ${c.name}`, () => {
      const pairs = derivePairs({ groups: c.ranking, strengths: c.strengths }, c.margins);
      close(
        pairs.map((p) => ({ chosen: p.chosenId, rejected: p.rejectedId, margin: p.margin, strength: p.strength })),
        c.pairs,
      );
    });

    it(`rankings record: ${c.name}`, () => {
      const ids = c.ranking.flat().sort();
      const task = exportTask({ responses: ids.map((id) => ({ id, content: `response ${id}`, model: null })) });
      const imported = c.strengths.includes("imported");
      const annotation = humanAnnotation(c.ranking, {
        strengths: imported ? [] : c.strengths,
        margins: c.margins,
        ...(imported ? { origin: "imported" as const, annotatorId: null } : {}),
      });
      const [record] = rankingsRecords(rawJudgement(annotation, task));
      close(record!.pairs, c.pairs);
    });
  }
});
