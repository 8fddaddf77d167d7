import { describe, expect, it } from "vitest";
import { openAiDpoRecords, ZOpenAiDpoRecord } from "./openai-dpo";
import { humanAnnotation, jsonRoundTrip, mergedJudgement, multiTurnPrompt, rawJudgement, unicodeResponses } from "./test-fixtures";

describe("openai-dpo records", () => {
  it("writes the prompt as input messages and the pair as preferred and non-preferred assistant outputs, nothing else", () => {
    const records = openAiDpoRecords(rawJudgement(humanAnnotation([["r3"], ["r1"], ["r2", "r4"]])));
    expect(records[0]).toEqual({
      input: { messages: multiTurnPrompt },
      preferred_output: [{ role: "assistant", content: unicodeResponses[2]!.content }],
      non_preferred_output: [{ role: "assistant", content: unicodeResponses[0]!.content }],
    });
    expect(records.map((r) => Object.keys(r))).toEqual(records.map(() => ["input", "preferred_output", "non_preferred_output"]));
  });

  it("gives no pair between tied responses", () => {
    const records = openAiDpoRecords(rawJudgement(humanAnnotation([["r1"], ["r2", "r3", "r4"]])));
    expect(records.map((r) => r.non_preferred_output[0]!.content)).toEqual(unicodeResponses.slice(1).map((r) => r.content));
    expect(records.every((r) => r.preferred_output[0]!.content === unicodeResponses[0]!.content)).toBe(true);
  });

  it("validates against the schema for raw and merged judgements", () => {
    const judgements = [
      rawJudgement(humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]])),
      mergedJudgement([humanAnnotation([["r1"], ["r2", "r3", "r4"]]), humanAnnotation([["r2"], ["r1"], ["r3"], ["r4"]])]),
    ];
    for (const judgement of judgements) {
      for (const record of openAiDpoRecords(judgement)) {
        expect(ZOpenAiDpoRecord.safeParse(record).error).toBeUndefined();
        expect(jsonRoundTrip(record)).toEqual(record);
      }
    }
  });
});
