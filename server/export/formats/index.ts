// One serialiser per export format. Deterministic: the same judgement always gives the same
// records with the same key order, so a snapshot's bytes depend on its data only.
import type { z } from "zod";
import type { ExportFormat, ExportJudgement } from "../types";
import { hhRecords, ZHhRecord } from "./hh";
import { ktoRecords, ZKtoRecord } from "./kto";
import { openAiDpoRecords, ZOpenAiDpoRecord } from "./openai-dpo";
import { pairsRecords, ZPairsRecord } from "./pairs";
import { rankingsRecords, ZRankingsRecord } from "./rankings";
import { sftRecord, ZSftRecord } from "./sft";

export const formatSchemas: Record<ExportFormat, z.ZodType> = {
  pairs: ZPairsRecord,
  rankings: ZRankingsRecord,
  hh: ZHhRecord,
  "openai-dpo": ZOpenAiDpoRecord,
  kto: ZKtoRecord,
  sft: ZSftRecord,
};

/** The records of one judgement; `sft` is made from demonstrations instead (serialiseDemonstration). */
export function serialise(format: Exclude<ExportFormat, "sft"> | ExportFormat, j: ExportJudgement): object[] {
  switch (format) {
    case "pairs":
      return pairsRecords(j);
    case "rankings":
      return rankingsRecords(j);
    case "hh":
      return hhRecords(j);
    case "openai-dpo":
      return openAiDpoRecords(j);
    case "kto":
      return ktoRecords(j);
    case "sft":
      throw new Error("sft records come from demonstrations, not judgements");
  }
}

export const serialiseDemonstration = sftRecord;
