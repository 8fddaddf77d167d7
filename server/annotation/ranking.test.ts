import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  derivePairs,
  pairCount,
  rankingFromVerdict,
  rankOf,
  strengthMargin,
  strengths,
  type DerivedPair,
  type Ranking,
  type Strength,
} from "./ranking";

/** Random partitions of 1..8 distinct ids into ordered groups, with random strengths between them. */
const arbRanking: fc.Arbitrary<Ranking> = fc
  .integer({ min: 1, max: 8 })
  .chain((n) =>
    fc.tuple(
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, k) => `r${k + 1}`),
        { minLength: n, maxLength: n },
      ),
      // cut[k] true: a new group starts before the (k+1)-th id.
      fc.array(fc.boolean(), { minLength: n - 1, maxLength: n - 1 }),
    ),
  )
  .chain(([ids, cuts]) => {
    const groups: string[][] = [[ids[0] as string]];
    ids.slice(1).forEach((id, k) => {
      if (cuts[k]) groups.push([id]);
      else (groups[groups.length - 1] as string[]).push(id);
    });
    return fc
      .array(fc.constantFrom(...strengths), { minLength: groups.length - 1, maxLength: groups.length - 1 })
      .map((s): Ranking => ({ groups, strengths: s }));
  });

const key = (p: Pick<DerivedPair, "chosenId" | "rejectedId">) => `${p.chosenId}>${p.rejectedId}`;

function pairsByKey(ranking: Ranking) {
  return new Map(derivePairs(ranking).map((p) => [key(p), p]));
}

describe("derivePairs (properties)", () => {
  it("yields exactly one pair per two ids in different groups, matching the closed form", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const pairs = derivePairs(ranking);
        const ranks = rankOf(ranking);
        const ids = [...ranks.keys()];
        let crossGroup = 0;
        for (let x = 0; x < ids.length; x++) {
          for (let y = x + 1; y < ids.length; y++) {
            if (ranks.get(ids[x] as string) !== ranks.get(ids[y] as string)) crossGroup++;
          }
        }
        expect(pairs).toHaveLength(pairCount(ranking));
        expect(pairs).toHaveLength(crossGroup);
        expect(new Set(pairs.map(key)).size).toBe(pairs.length);
      }),
    );
  });

  it("never pairs two ids of the same group, so ties produce no pair", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const ranks = rankOf(ranking);
        for (const p of derivePairs(ranking)) {
          expect(ranks.get(p.chosenId)).not.toBe(ranks.get(p.rejectedId));
        }
      }),
    );
  });

  it("is antisymmetric and never pairs an id with itself", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const byKey = pairsByKey(ranking);
        for (const p of byKey.values()) {
          expect(p.chosenId).not.toBe(p.rejectedId);
          expect(byKey.has(key({ chosenId: p.rejectedId, rejectedId: p.chosenId }))).toBe(false);
        }
      }),
    );
  });

  it("induces a transitive order: a>b and b>c imply a>c", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const pairs = derivePairs(ranking);
        const byKey = pairsByKey(ranking);
        for (const ab of pairs) {
          for (const bc of pairs) {
            if (ab.rejectedId !== bc.chosenId) continue;
            expect(byKey.has(key({ chosenId: ab.chosenId, rejectedId: bc.rejectedId }))).toBe(true);
          }
        }
      }),
    );
  });

  it("always ranks the chosen response strictly better than the rejected one", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const ranks = rankOf(ranking);
        for (const p of derivePairs(ranking)) {
          expect(p.chosenRank).toBeLessThan(p.rejectedRank);
          expect(ranks.get(p.chosenId)).toBe(p.chosenRank);
          expect(ranks.get(p.rejectedId)).toBe(p.rejectedRank);
        }
      }),
    );
  });

  it("keeps margins in [0, 1] and uses the table for adjacent groups", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        for (const p of derivePairs(ranking)) {
          expect(p.margin).toBeGreaterThanOrEqual(0);
          expect(p.margin).toBeLessThanOrEqual(1);
          if (p.rejectedRank === p.chosenRank + 1) {
            const s = ranking.strengths[p.chosenRank] as Strength;
            expect(p.strength).toBe(s);
            expect(p.margin).toBe(strengthMargin[s]);
          }
        }
      }),
    );
  });

  it("gives a fixed chosen response a margin that never shrinks as the rejected one ranks lower", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        const byChosen = new Map<string, DerivedPair[]>();
        for (const p of derivePairs(ranking)) byChosen.set(p.chosenId, [...(byChosen.get(p.chosenId) ?? []), p]);
        for (const list of byChosen.values()) {
          const sorted = [...list].sort((x, y) => x.rejectedRank - y.rejectedRank);
          for (let k = 1; k < sorted.length; k++) {
            expect((sorted[k] as DerivedPair).margin).toBeGreaterThanOrEqual((sorted[k - 1] as DerivedPair).margin);
          }
        }
      }),
    );
  });

  it("labels a non-adjacent pair with the strongest step between its groups", () => {
    fc.assert(
      fc.property(arbRanking, (ranking) => {
        for (const p of derivePairs(ranking)) {
          const steps = ranking.strengths.slice(p.chosenRank, p.rejectedRank);
          const strongest = Math.max(...steps.map((s) => strengths.indexOf(s)));
          expect(p.strength).toBe(strengths[strongest]);
          const sum = steps.reduce((acc, s) => acc + strengthMargin[s], 0);
          expect(p.margin).toBeCloseTo(Math.min(1, sum), 12);
        }
      }),
    );
  });
});

describe("derivePairs (examples)", () => {
  it("turns a strict ranking of four into six pairs with summed, capped margins", () => {
    const ranking: Ranking = { groups: [["a"], ["b"], ["c"], ["d"]], strengths: ["strong", "slight", "clear"] };
    const pairs = derivePairs(ranking);
    expect(pairs.map((p) => [p.chosenId, p.rejectedId, p.strength, p.chosenRank, p.rejectedRank])).toEqual([
      ["a", "b", "strong", 0, 1],
      ["a", "c", "strong", 0, 2],
      ["a", "d", "strong", 0, 3],
      ["b", "c", "slight", 1, 2],
      ["b", "d", "clear", 1, 3],
      ["c", "d", "clear", 2, 3],
    ]);
    const margins = pairs.map((p) => p.margin);
    // a>b 1; a>c min(1, 1+1/3); a>d capped; b>c 1/3; b>d 1/3+2/3 = 1; c>d 2/3.
    [1, 1, 1, 1 / 3, 1, 2 / 3].forEach((m, k) => expect(margins[k]).toBeCloseTo(m, 12));
    expect(pairCount(ranking)).toBe(6);
  });

  it("adds small steps across groups without reaching the cap", () => {
    const ranking: Ranking = { groups: [["a"], ["b"], ["c"]], strengths: ["negligible", "slight"] };
    const ac = derivePairs(ranking).find((p) => p.chosenId === "a" && p.rejectedId === "c");
    expect(ac?.margin).toBeCloseTo(1 / 3, 12);
    expect(ac?.strength).toBe("slight");
  });

  it("pairs tied responses with everything outside their group but not with each other", () => {
    const ranking: Ranking = { groups: [["a"], ["b", "c"], ["d"]], strengths: ["clear", "negligible"] };
    const pairs = derivePairs(ranking);
    expect(pairs.map(key)).toEqual(["a>b", "a>c", "a>d", "b>d", "c>d"]);
    expect(pairs.map((p) => p.margin)).toEqual([2 / 3, 2 / 3, 2 / 3, 0, 0]);
    expect(pairCount(ranking)).toBe(5);
    expect(rankOf(ranking)).toEqual(
      new Map([
        ["a", 0],
        ["b", 1],
        ["c", 1],
        ["d", 2],
      ]),
    );
  });

  it("yields no pairs when every response is tied", () => {
    const ranking: Ranking = { groups: [["a", "b", "c"]], strengths: [] };
    expect(derivePairs(ranking)).toEqual([]);
    expect(pairCount(ranking)).toBe(0);
  });

  it("refuses a ranking whose strengths are shorter than its gaps", () => {
    expect(() => derivePairs({ groups: [["a"], ["b"], ["c"]], strengths: ["clear"] })).toThrow(/no strength between groups 2 and 3/);
  });
});

describe("rankingFromVerdict", () => {
  it("puts the preferred response first with the given strength", () => {
    expect(rankingFromVerdict("x", "y", "a_better", "clear")).toEqual({ groups: [["x"], ["y"]], strengths: ["clear"] });
    expect(rankingFromVerdict("x", "y", "b_better", "slight")).toEqual({ groups: [["y"], ["x"]], strengths: ["slight"] });
  });

  it("turns a tie or two bad answers into one group that yields no pair", () => {
    for (const verdict of ["tie", "both_bad"] as const) {
      const ranking = rankingFromVerdict("x", "y", verdict, "strong");
      expect(ranking).toEqual({ groups: [["x", "y"]], strengths: [] });
      expect(derivePairs(ranking)).toEqual([]);
    }
  });

  it("gives a decisive verdict exactly one pair with the table margin", () => {
    expect(derivePairs(rankingFromVerdict("x", "y", "b_better", "strong"))).toEqual([
      { chosenId: "y", rejectedId: "x", margin: 1, strength: "strong", chosenRank: 0, rejectedRank: 1 },
    ]);
  });
});
