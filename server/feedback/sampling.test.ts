import { describe, expect, it } from "vitest";
import { chooseSampled, normalisedPromptHash, samplingPoint, type SamplingCandidate } from "./sampling";
import { ZFeedbackSampling } from "./sampling.schema";

const candidate = (externalId: string, over: Partial<SamplingCandidate> = {}): SamplingCandidate => ({ externalId, model: "m", rating: "down", promptHash: externalId, ...over });
const none = () => ({ perModel: new Map<string, number>(), prompts: new Set<string>() });

describe("the feedback sampling rule", () => {
  it("refuses shares outside 0..1 and a quota below 1, with messages", () => {
    const r = ZFeedbackSampling.safeParse({ downShare: 1.5, upShare: -1, perModelQuota: 0 });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["downShare", "downShare is a fraction from 0 to 1"],
      ["upShare", "upShare is a fraction from 0 to 1"],
      ["perModelQuota", "perModelQuota is at least 1"],
    ]);
  });

  it("samples about the configured share of thumbs-down, the same ids every time", () => {
    const rule = ZFeedbackSampling.parse({ downShare: 0.3, upShare: 0 });
    const candidates = Array.from({ length: 2000 }, (_, i) => candidate(`c${i}`));
    const chosen = chooseSampled(rule, candidates, none());
    expect(chosen.size / candidates.length).toBeGreaterThan(0.26);
    expect(chosen.size / candidates.length).toBeLessThan(0.34);
    expect(chooseSampled(rule, candidates, none())).toEqual(chosen);
    expect(chooseSampled(rule, candidates.map((c) => ({ ...c, rating: "up" as const })), none()).size).toBe(0);
    expect([...chosen].every((id) => samplingPoint(id) < 0.3)).toBe(true);
  });

  it("keeps each model within its quota, counting what was sampled before", () => {
    const rule = ZFeedbackSampling.parse({ downShare: 1, upShare: 1, perModelQuota: 2 });
    const chosen = chooseSampled(rule, [candidate("a"), candidate("b"), candidate("c", { model: "other" }), candidate("d", { model: "other" })], {
      perModel: new Map([["other", 1]]),
      prompts: new Set(),
    });
    expect([...chosen]).toEqual(["a", "b", "c"]);
  });

  it("samples a normalised prompt once, unless dedup is off", () => {
    const same = normalisedPromptHash([{ role: "user", content: "Reset  my PASSWORD?" }]);
    expect(normalisedPromptHash([{ role: "system", content: "x" }, { role: "user", content: " reset my password? " }])).toBe(same);
    const candidates = [candidate("a", { promptHash: same }), candidate("b", { promptHash: same })];
    expect([...chooseSampled(ZFeedbackSampling.parse({ downShare: 1, upShare: 1 }), candidates, none())]).toEqual(["a"]);
    expect(chooseSampled(ZFeedbackSampling.parse({ downShare: 1, upShare: 1, dedupByPrompt: false }), candidates, none()).size).toBe(2);
  });

  it("samples nothing without a rule", () => {
    expect(chooseSampled(null, [candidate("a")], none()).size).toBe(0);
  });
});
