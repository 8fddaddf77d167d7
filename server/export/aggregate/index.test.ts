import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregates, type Aggregate } from "../types";
import { toJudgements } from "./index";
import { annotation, arbRanking, normalise, responseIds, task } from "./test-fixtures";

const merges = aggregates.filter((a): a is Exclude<Aggregate, "raw"> => a !== "raw");

describe("toJudgements: raw", () => {
  it("gives one judgement per annotation, carrying who made it and its labels", () => {
    const a = annotation([["r2"], ["r1"]], {
      annotatorId: "u1",
      strengths: ["slight"],
      margins: { "r2>r1": 1 / 3 },
      promptPolicy: "sensitive",
      harmCategory: "privacy",
      rubric: { r1: "A", r2: "D" },
      shownOrder: ["r1", "r2"],
      timeSpentMs: 4200,
      guidelinesVersion: 3,
      reviewState: "corrected",
    });
    const b = annotation([["r1", "r2"]], { origin: "imported", strengths: [] });
    const t = task(2, [a, b]);
    const judgements = toJudgements(t, "raw", {});
    expect(judgements.map((j) => j.id)).toEqual([a.id, b.id]);
    expect(judgements[0]).toEqual({
      id: a.id,
      task: { taskId: t.taskId, projectId: t.projectId, prompt: t.prompt, responses: t.responses, source: t.source, meta: t.meta },
      ranking: [["r2"], ["r1"]],
      strengths: ["slight"],
      margins: { "r2>r1": 1 / 3 },
      promptPolicy: "sensitive",
      harmCategory: "privacy",
      rubric: { r1: "A", r2: "D" },
      feedback: null,
      annotation: {
        annotatorId: "u1",
        origin: "human",
        shownOrder: ["r1", "r2"],
        timeSpentMs: 4200,
        guidelinesVersion: 3,
        reviewState: "corrected",
        createdAt: a.createdAt,
      },
      merge: null,
    });
    expect(judgements[1]!.annotation).toMatchObject({ annotatorId: null, origin: "imported" });
    expect(judgements[0]!.task).not.toHaveProperty("annotations");
  });
});

describe("toJudgements: merges", () => {
  const split = task(3, [
    annotation([["r1"], ["r2"], ["r3"]], { annotatorId: "a" }),
    annotation([["r1"], ["r2"], ["r3"]], { annotatorId: "b" }),
    annotation([["r2"], ["r1"], ["r3"]], { annotatorId: "c" }),
  ]);

  it.each(merges)("%s gives one judgement for the task, with how it was merged and the agreement", (method) => {
    const judgements = toJudgements(split, method, { goldAccuracy: new Map([["a", 1], ["b", 1], ["c", 1]]) });
    expect(judgements).toHaveLength(1);
    // Annotator pairs agree on 3/3, 2/3 and 2/3 of the response pairs.
    expect(judgements[0]).toMatchObject({ id: "task-1", annotation: null, merge: { method, annotations: 3, agreement: 7 / 9 } });
    expect(judgements[0]!.ranking).toEqual([["r1"], ["r2"], ["r3"]]);
  });

  it("has no agreement for a single annotation", () => {
    const [judgement] = toJudgements(task(2, [annotation([["r1"], ["r2"]])]), "majority");
    expect(judgement!.merge).toEqual({ method: "majority", annotations: 1, agreement: null });
  });

  it("counts only the annotations that carried weight in a gold-weighted merge", () => {
    const [judgement] = toJudgements(split, "gold-weighted", { goldAccuracy: new Map([["c", 0]]) });
    expect(judgement!.merge).toEqual({ method: "gold-weighted", annotations: 2, agreement: 1 });
  });

  it.each(merges)("%s writes nothing for a task without annotations", (method) => {
    expect(toJudgements(task(3, []), method)).toEqual([]);
  });
});

describe("toJudgements (properties)", () => {
  const arbTask = fc
    .integer({ min: 1, max: 6 })
    .chain((k) => fc.tuple(fc.constant(k), fc.array(arbRanking(k), { minLength: 1, maxLength: 5 })))
    .map(([k, rankings]) => task(k, rankings.map((r, i) => annotation(r, { annotatorId: `u${i % 3}` }))));
  const arbGold = fc.dictionary(fc.constantFrom("u0", "u1", "u2"), fc.double({ min: 0.05, max: 1, noNaN: true }));

  it("puts every response exactly once in a merged ranking", () => {
    fc.assert(
      fc.property(arbTask, arbGold, fc.constantFrom(...merges), (t, gold, method) => {
        const [judgement] = toJudgements(t, method, { goldAccuracy: new Map(Object.entries(gold)) });
        const ids = judgement!.ranking.flat();
        expect([...ids].sort()).toEqual(responseIds(t.responses.length).sort());
        expect(judgement!.ranking.every((g) => g.length > 0)).toBe(true);
        expect(judgement!.strengths).toHaveLength(judgement!.ranking.length - 1);
        for (const m of Object.values(judgement!.margins)) expect(m >= 0 && m <= 1).toBe(true);
      }),
    );
  });

  it("returns a unanimous ranking unchanged, with agreement 1", () => {
    const arb = fc
      .integer({ min: 1, max: 6 })
      .chain((k) => fc.tuple(fc.constant(k), arbRanking(k), fc.integer({ min: 2, max: 5 }), fc.constantFrom(...merges), arbGold));
    fc.assert(
      fc.property(arb, ([k, ranking, copies, method, gold]) => {
        const t = task(k, Array.from({ length: copies }, (_, i) => annotation(ranking, { annotatorId: `u${i % 3}` })));
        const [judgement] = toJudgements(t, method, { goldAccuracy: new Map(Object.entries(gold)) });
        expect(normalise(judgement!.ranking)).toEqual(normalise(ranking));
        // With a single response there is no pair to compare.
        expect(judgement!.merge!.agreement).toBe(k >= 2 ? 1 : null);
        if (method !== "bradley-terry") expect(judgement!.strengths.every((s) => s === "strong")).toBe(true);
      }),
    );
  });

  it("gives one raw judgement per annotation, ids in order", () => {
    fc.assert(
      fc.property(arbTask, (t) => {
        const judgements = toJudgements(t, "raw");
        expect(judgements.map((j) => j.id)).toEqual(t.annotations.map((a) => a.id));
        expect(judgements.every((j) => j.merge === null && j.annotation !== null)).toBe(true);
      }),
    );
  });

  it("does not depend on the order of the annotations", () => {
    fc.assert(
      fc.property(arbTask, fc.constantFrom(...merges), (t, method) => {
        const reversed = { ...t, annotations: [...t.annotations].reverse() };
        const [a] = toJudgements(t, method);
        const [b] = toJudgements(reversed, method);
        expect(b!.ranking).toEqual(a!.ranking);
        expect(b!.strengths).toEqual(a!.strengths);
        expect(b!.merge).toEqual(a!.merge);
      }),
    );
  });
});
