import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { importJsonl } from "../../server/import/service";
import { jobKinds } from "../../server/jobs/kinds";
import { generateConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";
import type { JobContext } from "./job-handler";

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
        numSamples: payload.conversations || payload.feedbackConversationIds ? inputs.project.k - 1 : inputs.project.k,
        outputDir,
      },
      payload.config,
    ),
  stage: async ({ payload, outputDir }, ctx) => {
    if (payload.feedbackConversationIds) {
      // Read now: a conversation deleted since the job was queued is left out. The line id is the conversation's.
      const rows = await ctx.db.feedbackConversation.findMany({ where: { id: { in: payload.feedbackConversationIds } }, select: { id: true, messages: true } });
      if (!rows.length) throw new Error("Every feedback conversation of this job has been deleted: nothing to generate for");
      await writeFile(path.join(outputDir, promptsFileName), `${rows.map((r) => JSON.stringify({ id: r.id, prompt: r.messages })).join("\n")}\n`);
      return;
    }
    const prompts = payload.conversations?.map((c) => c.messages) ?? payload.prompts?.map((content) => [{ role: "user", content }]);
    if (!prompts) return;
    const lines = prompts.map((prompt, i) => JSON.stringify({ id: String(i + 1), prompt }));
    await writeFile(path.join(outputDir, promptsFileName), `${lines.join("\n")}\n`);
  },
  register: async (run, ctx) => {
    const { policy, project } = run.inputs;
    const { conversations, feedbackConversationIds, source } = run.payload;
    const feedback = feedbackConversationIds
      ? new Map((await ctx.db.feedbackConversation.findMany({ where: { id: { in: feedbackConversationIds } }, select: { id: true, answer: true, model: true } })).map((c) => [c.id, c]))
      : null;
    const text = await readFile(path.join(run.outputDir, generationsFileName), "utf8");
    const rows = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => ZGeneration.parse(JSON.parse(line)))
      // A feedback conversation deleted while the job ran is not imported.
      .filter((g) => !feedback || feedback.has(g.id))
      .map((g) => {
        // The staged prompts are numbered from 1 in the payload's order, or named by their feedback conversation.
        const fromFeedback = feedback?.get(g.id);
        const given = fromFeedback ? { answer: fromFeedback.answer, answerModel: fromFeedback.model, meta: { feedback: { conversationId: fromFeedback.id } } } : conversations?.[Number(g.id) - 1];
        return {
          prompt: g.prompt,
          // The model version's id, so every response traces back to the exact weights.
          responses: [...(given ? [{ content: given.answer, model: given.answerModel }] : []), ...g.responses.map((r) => ({ content: r.content, model: policy.id }))],
          source: feedback ? "production" : source,
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
    if (feedback) await linkFeedbackTasks(ctx.db, project.id, [...feedback.keys()]);
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

/** Records which labelling task each feedback conversation became, for deletion on request. */
async function linkFeedbackTasks(db: JobContext["db"], projectId: string, conversationIds: string[]) {
  for (const conversationId of conversationIds) {
    const tasks = await db.task.findMany({ where: { projectId, meta: { path: ["feedback", "conversationId"], equals: conversationId } }, select: { id: true } });
    if (tasks.length) await db.feedbackConversationTask.createMany({ data: tasks.map((t) => ({ conversationId, taskId: t.id, purpose: "labelling" as const })), skipDuplicates: true });
  }
}
