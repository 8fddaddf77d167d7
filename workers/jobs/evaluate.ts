import { writeFile } from "node:fs/promises";
import path from "node:path";
import { resultsOf } from "../../server/evaluation/results";
import { recordEvaluation } from "../../server/evaluation/service";
import type { EvaluationKind } from "../../server/generated/prisma/enums";
import { jobKinds } from "../../server/jobs/kinds";
import type { ModelInput } from "../../server/training/inputs";
import { evaluateConfig } from "../../server/training/trainer-config";
import { trainerJobHandler } from "../training/trainer-job";

const promptsFileName = "evaluation-prompts.jsonl";

/** Runs the evaluation; every evaluated model gets a ModelEvaluation row. */
export const evaluateHandler = trainerJobHandler(jobKinds.evaluate, {
  command: "evaluate",
  config: ({ inputs, payload, outputDir }) =>
    evaluateConfig(
      {
        rewardModelDir: inputs.reward?.dir ?? null,
        pairsFile: inputs.pairs?.file ?? null,
        compareRewardModelDir: inputs.compare?.dir ?? null,
        safetyModelDir: inputs.safety?.dir ?? null,
        safetyLabelsFile: inputs.labels?.file ?? null,
        policyDir: inputs.policy?.dir ?? null,
        promptsFile: inputs.set ? path.join(outputDir, promptsFileName) : (inputs.prompts?.file ?? null),
        referencePolicyDir: inputs.reference?.dir ?? null,
        outputDir,
      },
      payload.config,
    ),
  // The set as it is now, frozen with the run: later edits do not change what this run measured.
  stage: async ({ inputs, outputDir }) => {
    if (inputs.set) await writeFile(path.join(outputDir, promptsFileName), inputs.set.lines);
  },
  register: async (run, ctx) => {
    const event: Record<string, unknown> = { ...run.report.lastEval };
    delete event.step;
    const { pairs, labels, prompts, set, reward, safety, policy } = run.inputs;
    const output = `${run.outputRel}/eval.json`;
    const split = run.payload.config.split ?? null;
    const parts: { kind: EvaluationKind; model: ModelInput | null; scored: boolean; extra: Record<string, unknown> }[] = [
      { kind: "reward", model: reward, scored: pairs !== null, extra: { snapshotId: pairs?.id ?? null, split } },
      { kind: "safety", model: safety, scored: labels !== null, extra: { snapshotId: labels?.id ?? null, split } },
      {
        kind: "policy",
        model: policy,
        scored: set !== null || prompts !== null,
        extra: { snapshotId: prompts?.id ?? null, evaluationSetId: run.payload.evaluationSetId ?? null, setVersion: set?.version ?? null },
      },
    ];
    const evaluations = [];
    for (const part of parts) {
      const results = resultsOf(event, part.kind);
      if (!part.model || !part.scored || !results) continue;
      evaluations.push(await recordEvaluation(ctx.db, { modelVersionId: part.model.id, jobId: ctx.jobId, kind: part.kind, results, output, ...part.extra }));
    }
    return { evaluations, verdict: event.verdict ?? [], output, summary: run.summary };
  },
});
