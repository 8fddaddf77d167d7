// `openai-dpo`: OpenAI's preference fine-tuning layout, one record per pair.
import { z } from "zod";
import type { ExportJudgement } from "../types";
import { assistant, contentOf, messagesOf, ZAssistantTurn, ZMessages } from "./common";
import { pairsOf } from "./pairs-of";

export const ZOpenAiDpoRecord = z.object({
  input: z.object({ messages: ZMessages }),
  preferred_output: ZAssistantTurn,
  non_preferred_output: ZAssistantTurn,
});
export type OpenAiDpoRecord = z.infer<typeof ZOpenAiDpoRecord>;

export function openAiDpoRecords(j: ExportJudgement): OpenAiDpoRecord[] {
  return pairsOf(j).map((p) => ({
    input: { messages: messagesOf(j.task.prompt) },
    preferred_output: assistant(contentOf(j, p.chosen)),
    non_preferred_output: assistant(contentOf(j, p.rejected)),
  }));
}
