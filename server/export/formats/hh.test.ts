import { describe, expect, it } from "vitest";
import { parseHhText } from "../../import/conversation";
import { parseHhRow } from "../../import/parse-hh-row";
import { hhRecords, ZHhRecord } from "./hh";
import { exportTask, humanAnnotation, judgementFromImport, mergedJudgement, multiTurnPrompt, rawJudgement, unicodeResponses } from "./test-fixtures";

const hhRow = {
  chosen: "\n\nHuman: 日本語で「脳」は? 🧠\n\nAssistant: 「脳」(のう) です。\n\nHuman: وبالعربية؟ e\u0301\n\nAssistant: دماغ 👩‍💻",
  rejected: "\n\nHuman: 日本語で「脳」は? 🧠\n\nAssistant: 「脳」(のう) です。\n\nHuman: وبالعربية؟ e\u0301\n\nAssistant: מוח",
};

describe("hh records", () => {
  it("round trip: an hh row imports and exports as the identical strings and the same conversation", () => {
    const record = parseHhRow(hhRow);
    const exported = hhRecords(judgementFromImport(record));
    expect(exported).toEqual([hhRow]);
    expect(parseHhRow(exported[0])).toEqual(record);
  });

  it("writes each pair as the shared prompt plus one Assistant turn, with no pair between tied responses", () => {
    const task = exportTask({ prompt: multiTurnPrompt.slice(1) });
    const records = hhRecords(rawJudgement(humanAnnotation([["r2"], ["r1", "r3"], ["r4"]]), task));
    expect(records).toHaveLength(5);
    for (const record of records) {
      const back = parseHhRow(record);
      expect(back.prompt).toEqual(multiTurnPrompt.slice(1));
      const [chosen, rejected] = back.responses.map((r) => unicodeResponses.find((u) => u.content === r.content)!.id);
      expect([chosen, rejected]).not.toEqual(["r1", "r3"]);
      expect([chosen, rejected]).not.toEqual(["r3", "r1"]);
    }
  });

  it("folds a system turn into the first Human turn, since HH has no system role", () => {
    const [record] = hhRecords(rawJudgement(humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]])));
    const turns = parseHhText(record!.chosen);
    expect(turns[0]).toEqual({ role: "user", content: `${multiTurnPrompt[0]!.content}\n\n${multiTurnPrompt[1]!.content}` });
    expect(turns.slice(1)).toEqual([...multiTurnPrompt.slice(2), { role: "assistant", content: unicodeResponses[0]!.content }]);
  });

  it("validates against the schema for raw and merged judgements", () => {
    const judgements = [
      rawJudgement(humanAnnotation([["r1"], ["r2", "r3"], ["r4"]])),
      mergedJudgement([humanAnnotation([["r1"], ["r2"], ["r3"], ["r4"]]), humanAnnotation([["r4"], ["r3"], ["r2"], ["r1"]])], "gold-weighted"),
    ];
    for (const judgement of judgements) for (const record of hhRecords(judgement)) expect(ZHhRecord.safeParse(record).error).toBeUndefined();
  });
});
