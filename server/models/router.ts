import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { queueAutoEvaluations } from "../evaluation/queue-evaluations";
import { ModelKind } from "../generated/prisma/enums";
import { getBoss } from "../queue";
import { ZModelVersionIdInput, ZPromoteModelInput } from "./promote-model.schema";
import { getModelVersionDetailOrThrow, listRegistry, promoteModelVersion } from "./registry";
import { ZReleaseGatesInput } from "../release/release.schema";
import { loadReleaseGates, queueGateEvaluations } from "../release/service";
import { relativeToStorage } from "../storage";
import { modelCost } from "./cost";

export const modelsRouter = createTRPCRouter({
  list: adminProcedure
    .input(
      z
        .object({
          kind: z.enum(ModelKind).optional(),
          limit: z.int().min(1).max(500).default(100),
          /** Include runs' intermediate checkpoints (default) or only the models runs end with. */
          checkpoints: z.boolean().default(true),
          /** Include checkpoints whose folder has been pruned (default: no, they cannot be used). */
          pruned: z.boolean().default(false),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listRegistry(ctx.db, input ?? {}).then(relativeToStorage)),
  get: adminProcedure.input(ZModelVersionIdInput).query(({ ctx, input }) => getModelVersionDetailOrThrow(ctx.db, input.modelVersionId).then(relativeToStorage)),
  promote: adminProcedure.input(ZPromoteModelInput).mutation(async ({ ctx, input }) => {
    const promoted = await promoteModelVersion(ctx.db, input, ctx.user.id);
    // The new current policy is evaluated against the one it replaces.
    const evaluationJobIds = await queueAutoEvaluations({ db: ctx.db, boss: getBoss }, { modelVersionId: input.modelVersionId, baselineId: promoted.previousPolicyId }, ctx.user.id);
    return { ...promoted, evaluationJobIds };
  }),
  /** The release gates a promotion of this policy in this project would be judged on, as they stand now. */
  gates: adminProcedure.input(ZReleaseGatesInput).query(({ ctx, input }) => loadReleaseGates(ctx.db, input)),
  /** "Evaluate both": queues the candidate's and the baseline's evaluations the gates miss. */
  evaluateForGates: adminProcedure.input(ZReleaseGatesInput).mutation(({ ctx, input }) => queueGateEvaluations({ db: ctx.db, boss: getBoss }, input, ctx.user.id)),
  /** What a version cost along its lineage: labels (count, annotator hours) and compute (device-hours). */
  cost: adminProcedure.input(ZModelVersionIdInput).query(({ ctx, input }) => modelCost(ctx.db, input.modelVersionId)),
});
