import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { importJsonl } from "../../server/import/service";
import { jobKinds } from "../../server/jobs/kinds";
import { generateConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";

const promptsFileName = "prompts.jsonl";
const generationsFileName = "generations.jsonl";

/** One line of the trainer's generations.jsonl (the fields the import needs). */
const ZGeneration = z.object({
  id: z.string(),
  prompt: z.array(z.object({ role: z.string(), content: z.string() })),
  responses: z.array(z.object({ content: z.string(), finish: z.string().optional() })),
  params: z.record(z.string(), z.unknown()).optional(),
  policy: z.string().nullish(),
});

/** Samples the responses and imports them into the project as new ranking tasks. */
export const generateHandler = trainerJobHandler(jobKinds.generate, {
  command: "generate",
  config: ({ payload, inputs, outputDir }) =>
    generateConfig(
      {
        policyDir: inputs.policy.dir,
        promptsFile: inputs.snapshot?.file ?? path.join(outputDir, promptsFileName),
        // A given answer takes one of the task's K places.
        numSamples: payload.conversations ? inputs.project.k - 1 : inputs.project.k,
        outputDir,
      },
      payload.config,
    ),
  stage: async ({ payload, outputDir }) => {
    const prompts = payload.conversations?.map((c) => c.messages) ?? payload.prompts?.map((content) => [{ role: "user", content }]);
    if (!prompts) return;
    const lines = prompts.map((prompt, i) => JSON.stringify({ id: String(i + 1), prompt }));
    await writeFile(path.join(outputDir, promptsFileName), `${lines.join("\n")}\n`);
  },
  register: async (run, ctx) => {
    const { policy, project } = run.inputs;
    const { conversations, source } = run.payload;
    const text = await readFile(path.join(run.outputDir, generationsFileName), "utf8");
    const rows = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const g = ZGeneration.parse(JSON.parse(line));
        // The staged prompts are numbered from 1 in the payload's order.
        const given = conversations?.[Number(g.id) - 1];
        return {
          prompt: g.prompt,
          // The model version's id, so every response traces back to the exact weights.
          responses: [...(given ? [{ content: given.answer, model: given.answerModel }] : []), ...g.responses.map((r) => ({ content: r.content, model: policy.id }))],
          source,
          meta: { ...given?.meta, generation: { jobId: ctx.jobId, modelVersionId: policy.id, modelName: policy.name, promptId: g.id, policy: g.policy ?? null, params: g.params ?? null } },
        };
      });
    const job = await ctx.db.job.findUnique({ where: { id: ctx.jobId }, select: { createdById: true } });
    // Not strict: a prompt whose samples are empty or identical is skipped (and reported), the rest imported.
    // Re-running after a retry imports nothing twice (the import recognises content by hash).
    const summary = await importJsonl(ctx.db, {
      projectId: project.id,
      layout: "tasks",
      chunks: (async function* () {
        yield rows.map((r) => JSON.stringify(r)).join("\n");
      })(),
      strict: false,
      filename: `runs/${ctx.jobId}/${generationsFileName}`,
      createdById: job?.createdById ?? null,
    });
    return {
      tasksCreated: summary.imported,
      prompts: rows.length,
      duplicates: summary.duplicates,
      skipped: summary.errors.slice(0, 20),
      importBatchId: summary.batchId,
      modelVersionId: policy.id,
      responsesPerTask: project.k,
    };
  },
});
