import { describe, expect, it } from "vitest";
import { campaignFigures, replayOutcome, successRates } from "./dashboard";

const a = (harmCategory: string, tactics: string[], modelVersionId: string, success: boolean) => ({ harmCategory, tactics, modelVersionId, success });

describe("campaign figures", () => {
  it("counts attempts and successes per key with a Wilson interval", () => {
    const attempts = [a("cyber", ["role-play"], "m1", true), a("cyber", ["role-play", "obfuscation"], "m1", false), a("medicine", ["obfuscation"], "m2", false)];
    const f = campaignFigures(attempts);
    expect(f.overall).toMatchObject({ attempts: 3, successes: 1 });
    expect(f.overall.rate).toBeCloseTo(1 / 3);
    expect(f.overall.lo).toBeGreaterThan(0);
    expect(f.overall.hi).toBeLessThan(1);
    expect(f.byCategory.map((r) => [r.key, r.attempts, r.successes])).toEqual([
      ["cyber", 2, 1],
      ["medicine", 1, 0],
    ]);
    // An attempt with two tactics counts under each of them.
    expect(f.byTactic.map((r) => [r.key, r.attempts, r.successes])).toEqual([
      ["obfuscation", 2, 0],
      ["role-play", 2, 1],
    ]);
    expect(f.byModel.find((r) => r.key === "m2")).toMatchObject({ attempts: 1, successes: 0, rate: 0 });
  });

  it("gives the exact Wilson bounds for 0 of 4 and 4 of 4", () => {
    const [none, all] = [successRates([0, 1, 2, 3].map(() => a("x", ["t"], "m", false)), (x) => [x.harmCategory])[0]!, successRates([0, 1, 2, 3].map(() => a("x", ["t"], "m", true)), (x) => [x.harmCategory])[0]!];
    expect(none.lo).toBe(0);
    expect(none.hi).toBeCloseTo(0.4899, 3);
    expect(all.hi).toBeCloseTo(1, 12);
    expect(all.lo).toBeCloseTo(0.5101, 3);
  });

  it("says a replayed attack still works when any sample was graded C", () => {
    expect(replayOutcome(["A", "C", "A"])).toEqual({ samples: 3, unsafe: 1, stillWorks: true });
    expect(replayOutcome(["A", "D"])).toEqual({ samples: 2, unsafe: 0, stillWorks: false });
    expect(replayOutcome([undefined])).toBeNull();
  });
});
