import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { recordAcquisition } from "../../server/acquisition/service";
import type { Db } from "../../server/db";
import { Prisma } from "../../server/generated/prisma/client";
import { jobKinds } from "../../server/jobs/kinds";
import { acquireConfig } from "../../server/training/trainer-config";
import { PermanentJobError } from "./job-handler";
import { trainerJobHandler } from "../training/trainer-job";

const poolFileName = "pool.jsonl";
const outputFileName = "acquisition.jsonl";
const batchSize = 1000;

/** One line of the trainer's acquisition.jsonl. */
const ZScoreLine = z.object({
  task_id: z.string(),
  score: z.number(),
  disagreement: z.number(),
  margin: z.number(),
  borderline: z.number().nullable(),
});

type PoolRow = { id: string; createdAt: Date; messages: { role: string; content: string }[]; responses: { id: string; text: string }[] };

/**
 * The project's unlabelled regular tasks as the trainer's pool, as they are now: one line per task,
 * its prompt's messages and its responses in their imported order. Read in keyset pages, so memory
 * stays flat whatever the size of the project. Returns how many tasks were written.
 */
export async function writePool(db: Db, projectId: string, file: string): Promise<number> {
  const out = await open(file, "w");
  let written = 0;
  try {
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const page: PoolRow[] = await db.$queryRaw<PoolRow[]>`
        SELECT t.id, t."createdAt", pr.messages,
          (SELECT json_agg(json_build_object('id', r.id, 'text', r.content) ORDER BY r.index) FROM response r WHERE r."taskId" = t.id) AS responses
        FROM task t JOIN prompt pr ON pr.id = t."promptId"
        WHERE t."projectId" = ${projectId} AND NOT t."isGold" AND t.rankable AND t."annotationCount" = 0
          ${after ? Prisma.sql`AND (t."createdAt", t.id) > (${after.createdAt}, ${after.id})` : Prisma.empty}
        ORDER BY t."createdAt", t.id
        LIMIT ${batchSize}`;
      if (page.length === 0) break;
      const lines = page.map((t) =>
        JSON.stringify({ task_id: t.id, prompt: t.messages.map((m) => ({ role: m.role, content: m.content })), responses: t.responses }),
      );
      await out.write(`${lines.join("\n")}\n`);
      written += page.length;
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
  } finally {
    await out.close();
  }
  return written;
}

/**
 * Scores the unlabelled tasks with the ensemble and stores the ranking; in uncertainty order the
 * scores become the tasks' priorities at once.
 */
export const acquireHandler = trainerJobHandler(jobKinds.acquire, {
  command: "acquire",
  config: ({ payload, inputs, outputDir }) =>
    acquireConfig(
      { poolFile: path.join(outputDir, poolFileName), rewardModelDirs: inputs.rewardModels.map((m) => m.dir), safetyModelDir: inputs.safety?.dir ?? null, outputDir },
      payload.config,
    ),
  stage: async ({ inputs, outputDir }, ctx) => {
    const tasks = await writePool(ctx.db, inputs.project.id, path.join(outputDir, poolFileName));
    if (tasks === 0) throw new PermanentJobError(`Project "${inputs.project.name}" has no unlabelled tasks left to score`);
  },
  register: async (run, ctx) => {
    const text = await readFile(path.join(run.outputDir, outputFileName), "utf8");
    const scores = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const s = ZScoreLine.parse(JSON.parse(line));
        return { taskId: s.task_id, score: s.score, disagreement: s.disagreement, margin: s.margin, borderline: s.borderline };
      });
    const stored = await recordAcquisition(ctx.db, { jobId: ctx.jobId, projectId: run.inputs.project.id, scores });
    return {
      ...stored,
      tasks: scores.length,
      rewardModelIds: run.inputs.rewardModels.map((m) => m.id),
      safetyModelId: run.inputs.safety?.id ?? null,
      output: `${run.outputRel}/${outputFileName}`,
      summary: run.summary,
    };
  },
});
