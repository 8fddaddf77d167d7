// `sft`: demonstrations as chat transcripts, the layout SFT trainers read. `messages` only, no
// meta with ids: OpenAI's fine-tuning upload rejects lines with keys it does not know, and TRL and
// axolotl need nothing else.
import { z } from "zod";
import type { ExportDemonstration } from "../types";
import { assistant, messagesOf, ZMessages } from "./common";

export const ZSftRecord = z.object({ messages: ZMessages });
export type SftRecord = z.infer<typeof ZSftRecord>;

export function sftRecord(d: ExportDemonstration): SftRecord {
  return { messages: [...messagesOf(d.prompt), ...assistant(d.content)] };
}
