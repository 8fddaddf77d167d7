import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AppError } from "../../server/errors";
import { maxContentChars } from "../../server/import/conversation";
import { importJsonl } from "../../server/import/service";
import { smollmPolicy } from "../../server/models/builtin-models";
import { resolveModel, resolveSnapshot } from "../training/inputs";
import { generateConfig, readsFormats, ZGenerateOverrides } from "../training/trainer-config";
import { defineTrainerJob } from "../training/trainer-job";

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

/**
 * The online loop's step: K responses per prompt from a policy (K = the project's responses per
 * task), imported into the project as new ranking tasks.
 */
export const generateJob = defineTrainerJob({
  name: "generate",
  command: "generate",
  payload: z
    .strictObject({
      /** Default: the project's current policy, else the built-in SmolLM2 policy (pinned at enqueue). */
      policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
      /** The project the new tasks go to. */
      projectId: z.uuid("projectId must be a project's id"),
      /** The prompts: a rankings or pairs snapshot's prompts, or a list given here (not both). */
      snapshotId: z.uuid("snapshotId must be a snapshot's id").optional(),
      prompts: z.array(z.string().trim().min(1, "a prompt is empty").max(maxContentChars)).min(1, "give at least one prompt").max(10_000).optional(),
      config: ZGenerateOverrides.default({}),
    })
    .refine((p) => p.snapshotId === undefined || p.prompts === undefined, { message: "Give the prompts as a snapshotId or a prompts list, not both", path: ["prompts"] }),
  resolve: async (payload, deps) => {
    const project = await deps.db.project.findUnique({ where: { id: payload.projectId }, select: { id: true, k: true, archivedAt: true, currentPolicyId: true } });
    if (!project || project.archivedAt) throw new AppError("NOT_FOUND", `No active project with id ${payload.projectId} (where the generated tasks go)`);
    if (payload.snapshotId === undefined && payload.prompts === undefined) throw new AppError("BAD_REQUEST", "Give the prompts: a snapshot, filters to create one, or a list");
    const snapshot = payload.snapshotId === undefined ? null : await resolveSnapshot(deps, payload.snapshotId, { formats: readsFormats.prompts, role: "the prompts to generate for" });
    const policy = await resolveModel(deps, payload.policyModelId ?? project.currentPolicyId ?? undefined, { kinds: ["policy", "sft"], role: "the policy to sample from", default: smollmPolicy });
    return { payload: { ...payload, policyModelId: policy.id }, inputs: { project: { id: project.id, k: project.k }, snapshot, policy } };
  },
  config: ({ payload, inputs, outputDir }) =>
    generateConfig({ policyDir: inputs.policy.dir, promptsFile: inputs.snapshot?.file ?? path.join(outputDir, promptsFileName), numSamples: inputs.project.k, outputDir }, payload.config),
  stage: async ({ payload, outputDir }) => {
    if (!payload.prompts) return;
    const lines = payload.prompts.map((content, i) => JSON.stringify({ id: String(i + 1), prompt: [{ role: "user", content }] }));
    await writeFile(path.join(outputDir, promptsFileName), `${lines.join("\n")}\n`);
  },
  register: async (run, ctx) => {
    const { policy, project } = run.inputs;
    const text = await readFile(path.join(run.outputDir, generationsFileName), "utf8");
    const rows = text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const g = ZGeneration.parse(JSON.parse(line));
        return {
          prompt: g.prompt,
          // The model version's id, so every response traces back to the exact weights.
          responses: g.responses.map((r) => ({ content: r.content, model: policy.id })),
          source: "model_generated",
          meta: { generation: { jobId: ctx.jobId, modelVersionId: policy.id, modelName: policy.name, promptId: g.id, policy: g.policy ?? null, params: g.params ?? null } },
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
