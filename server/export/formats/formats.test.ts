import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { derivePairs, strengths, type Ranking } from "../../annotation/ranking";
import { parseHhRow } from "../../import/parse-hh-row";
import { parsePairsRow } from "../../import/parse-pairs-row";
import type { ExportJudgement } from "../types";
import { formatSchemas, serialise, serialiseDemonstration } from "./index";

const multiTurn = [
  { role: "system" as const, content: "Answer in the user's language." },
  { role: "user" as const, content: "¿Qué es 🧠 en 日本語?" },
  { role: "assistant" as const, content: "脳 (nō)." },
  { role: "user" as const, content: "And in Arabic? مرحبا — with e\u0301 combining" },
];

function judgement(over: Partial<ExportJudgement> = {}): ExportJudgement {
  return {
    id: "ann-1",
    task: {
      taskId: "task-1",
      projectId: "proj-1",
      prompt: multiTurn,
      responses: [
        { id: "r0", content: "دماغ 🧠", model: "policy-v1" },
        { id: "r1", content: "Brain.", model: "policy-v2" },
        { id: "r2", content: "I can't help with that.", model: "policy-v2" },
      ],
      source: "production",
      meta: { topic: "language" },
    },
    ranking: [["r0"], ["r1", "r2"]],
    strengths: ["clear"],
    margins: {},
    promptPolicy: "allowed",
    harmCategory: null,
    rubric: { r0: "D" },
    feedback: null,
    annotation: { annotatorId: "u1", origin: "human", shownOrder: ["r2", "r0", "r1"], timeSpentMs: 4200, guidelinesVersion: 3, reviewState: "accepted", createdAt: new Date("2026-11-01T10:00:00Z") },
    merge: null,
    ...over,
  };
}

describe("export formats", () => {
  it("every record validates against its format's schema (unicode, multi-turn, ties)", () => {
    for (const format of ["pairs", "rankings", "hh", "openai-dpo"] as const) {
      const records = serialise(format, judgement());
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) expect(formatSchemas[format].safeParse(r).success, `${format}: ${JSON.stringify(r)}`).toBe(true);
    }
    const sft = serialiseDemonstration({ id: "d1", taskId: "task-1", prompt: multiTurn, content: "Brain: دماغ", authorId: "u1", createdAt: new Date() });
    expect(formatSchemas.sft.parse(sft)).toEqual({ messages: [...multiTurn, { role: "assistant", content: "Brain: دماغ" }] });
  });

  it("ties give no pair and share a rank", () => {
    const pairs = serialise("pairs", judgement()) as { chosen: { content: string }[]; rejected: { content: string }[]; margin: number; meta: { export: { strength: string } } }[];
    expect(pairs.map((p) => [p.chosen[0]!.content, p.rejected[0]!.content])).toEqual([
      ["دماغ 🧠", "Brain."],
      ["دماغ 🧠", "I can't help with that."],
    ]);
    expect(pairs.every((p) => Math.abs(p.margin - 2 / 3) < 1e-12 && p.meta.export.strength === "clear")).toBe(true);
    const [ranking] = serialise("rankings", judgement()) as { responses: { id: string; rank: number | null; rubric: string | null }[] }[];
    expect(ranking!.responses.map((r) => [r.id, r.rank, r.rubric])).toEqual([
      ["r0", 0, "D"],
      ["r1", 1, null],
      ["r2", 1, null],
    ]);
  });

  it("keeps provenance for trainers: annotator, shown order, time, guidelines version, models", () => {
    const [pair] = serialise("pairs", judgement()) as { meta: Record<string, unknown> }[];
    expect(pair!.meta).toMatchObject({
      topic: "language",
      export: { taskId: "task-1", annotatorId: "u1", shownOrder: ["r2", "r0", "r1"], timeSpentMs: 4200, guidelinesVersion: 3, reviewState: "accepted", models: { r0: "policy-v1" } },
    });
  });

  it("hh records parse back to the same conversation and answers", () => {
    const twoTurn = judgement({ task: { ...judgement().task, prompt: multiTurn.slice(1) }, ranking: [["r1"], ["r0"]], strengths: ["slight"] });
    const [hh] = serialise("hh", twoTurn) as { chosen: string; rejected: string }[];
    const parsed = parseHhRow(hh);
    expect(parsed.prompt).toEqual(multiTurn.slice(1));
    expect(parsed.responses.map((r) => r.content)).toEqual(["Brain.", "دماغ 🧠"]);
  });

  it("a pairs file row comes back as the same record", () => {
    const row = { id: 7, prompt: multiTurn, chosen: [{ role: "assistant", content: "脳" }], rejected: [{ role: "assistant", content: "brain" }], margin: 0.25, safety: { promptPolicy: "allowed" }, source: "red_team", meta: { batch: "b1" } };
    const record = parsePairsRow(row);
    const j = judgement({
      task: { taskId: "t", projectId: "p", prompt: record.prompt, responses: record.responses.map((r, i) => ({ id: `x${i}`, content: r.content, model: null })), source: record.source, meta: record.meta },
      ranking: [["x0"], ["x1"]],
      strengths: ["imported"],
      margins: { "x0>x1": 0.25 },
      promptPolicy: null,
      rubric: {},
      annotation: { ...judgement().annotation!, origin: "imported" },
    });
    const [out] = serialise("pairs", j);
    expect(out).toEqual(row);
    expect(parsePairsRow(out)).toEqual(record);
  });

  it("pair formats give as many records as derivePairs gives pairs, for any ranking with ties", () => {
    const ids = ["r0", "r1", "r2", "r3", "r4"];
    const arbRanking = fc
      .shuffledSubarray(ids, { minLength: 2, maxLength: 5 })
      .chain((order) => fc.tuple(fc.constant(order), fc.array(fc.boolean(), { minLength: order.length, maxLength: order.length })))
      .chain(([order, tieWithPrevious]) => {
        const groups: string[][] = [];
        order.forEach((id, i) => (i > 0 && tieWithPrevious[i] ? groups.at(-1)!.push(id) : groups.push([id])));
        return fc.tuple(fc.constant(groups), fc.array(fc.constantFrom(...strengths), { minLength: groups.length - 1, maxLength: groups.length - 1 }));
      });
    fc.assert(
      fc.property(arbRanking, ([groups, steps]) => {
        const base = judgement();
        const j = judgement({ task: { ...base.task, responses: ids.map((id) => ({ id, content: `answer ${id}`, model: null })) }, ranking: groups, strengths: steps });
        const expected = derivePairs({ groups, strengths: steps } as Ranking);
        for (const format of ["pairs", "hh", "openai-dpo"] as const) expect(serialise(format, j)).toHaveLength(expected.length);
        const margins = (serialise("pairs", j) as { margin: number }[]).map((p) => p.margin);
        expect(margins).toEqual(expected.map((p) => p.margin));
      }),
    );
  });

  it("is deterministic: the same judgement gives the same bytes", () => {
    for (const format of ["pairs", "rankings", "hh", "openai-dpo"] as const) {
      expect(JSON.stringify(serialise(format, judgement()))).toBe(JSON.stringify(serialise(format, judgement())));
    }
  });
});
