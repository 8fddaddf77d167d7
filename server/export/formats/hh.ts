// `hh`: Anthropic's HH-RLHF layout, two whole conversations per pair.
import { z } from "zod";
import { toHhText } from "../../import/conversation";
import type { ExportJudgement } from "../types";
import { assistant, contentOf } from "./common";
import { pairsOf } from "./pairs-of";

export const ZHhRecord = z.object({
  // A conversation imported with an opening assistant turn starts with that turn.
  chosen: z.string().regex(/^\n\n(Human|Assistant):/),
  rejected: z.string().regex(/^\n\n(Human|Assistant):/),
});
export type HhRecord = z.infer<typeof ZHhRecord>;

/** HH has no system turn: system text goes in front of the next Human turn (see toHhText). */
export function hhRecords(j: ExportJudgement): HhRecord[] {
  return pairsOf(j).map((p) => ({
    chosen: toHhText([...j.task.prompt, ...assistant(contentOf(j, p.chosen))]),
    rejected: toHhText([...j.task.prompt, ...assistant(contentOf(j, p.rejected))]),
  }));
}
