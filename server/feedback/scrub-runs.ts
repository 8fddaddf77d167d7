// A generate run that gave production conversations their candidates keeps its staged prompts and
// its samples in the run folder; deleting a conversation removes its lines there too.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db";

/** The files of a generate run that hold a conversation's text, one JSON line per conversation id. */
const runFiles = ["prompts.jsonl", "generations.jsonl"];

/** Rewrites those files without the lines of `conversationIds`; returns how many lines went. */
export async function scrubGenerateRuns(db: Db, artifactDir: string, conversationIds: readonly string[]): Promise<number> {
  if (!conversationIds.length) return 0;
  const gone = new Set(conversationIds);
  const jobs = await db.job.findMany({ where: { kind: "generate", outputDir: { not: null } }, select: { payload: true, outputDir: true } });
  let removed = 0;
  for (const job of jobs) {
    const ids = (job.payload as { feedbackConversationIds?: unknown }).feedbackConversationIds;
    if (!Array.isArray(ids) || !ids.some((id) => gone.has(id as string))) continue;
    for (const name of runFiles) {
      const file = path.join(artifactDir, job.outputDir!, name);
      const text = await readFile(file, "utf8").catch(() => null);
      if (text === null) continue;
      const lines = text.split("\n").filter((l) => l.trim());
      const kept = lines.filter((l) => !gone.has(String((JSON.parse(l) as { id?: unknown }).id)));
      if (kept.length === lines.length) continue;
      removed += lines.length - kept.length;
      await writeFile(file, kept.length ? `${kept.join("\n")}\n` : "");
    }
  }
  return removed;
}
