import { z } from "zod";
import { strengths } from "../annotation/ranking";
import { maxResponsesPerTask, ZRanking } from "../annotation/submission.schema";
import { promptPolicies, rubricGrades } from "../annotation/submission";
import { ZFeedbackSampling } from "../feedback/sampling.schema";

const grades = z.object(Object.fromEntries(rubricGrades.map((g) => [g, z.number().min(-10).max(10)])) as Record<(typeof rubricGrades)[number], z.ZodNumber>);

/** Safety reward R[policy][rubric grade] (DESIGN.md): every policy needs a value for every grade. */
export const ZRewardTable = z.object(Object.fromEntries(promptPolicies.map((p) => [p, grades])) as Record<(typeof promptPolicies)[number], typeof grades>);

const settings = {
  name: z.string().trim().min(1, "Name is required").max(200),
  description: z.string().max(5000),
  guidelines: z.string().max(200_000),
  k: z.number().int().min(2, "K must be at least 2").max(maxResponsesPerTask, `K is at most ${maxResponsesPerTask}`),
  mode: z.enum(["rank", "pairwise"]),
  tiesAllowed: z.boolean(),
  /** For teams that do not collect strengths: the strength of every boundary left unset. Null: annotators choose each. */
  defaultStrength: z.enum(strengths, { error: `defaultStrength is one of ${strengths.join(", ")}, or null` }).nullable(),
  overlap: z.number().int().min(1, "Overlap must be at least 1").max(50),
  goldRate: z.number().min(0).max(1, "The gold rate is a fraction between 0 and 1"),
  goldThreshold: z.number().min(0).max(1),
  leaseMinutes: z.number().int().min(1).max(24 * 60),
  harmTaxonomy: z.array(z.string().trim().min(1).max(100)).min(1, "The taxonomy needs at least one category").max(50),
  rewardTable: ZRewardTable,
  /** Which production feedback becomes labelling tasks; null samples none. */
  feedbackSampling: ZFeedbackSampling.nullable(),
};

export const ZCreateProjectInput = z
  .object(settings)
  .partial()
  .required({ name: true })
  .refine((p) => p.mode !== "pairwise" || p.k === undefined || p.k === 2, { message: "Pairwise projects show exactly 2 responses (K = 2)", path: ["k"] });
export type TCreateProjectInput = z.input<typeof ZCreateProjectInput>;

export const ZUpdateProjectInput = z.object({ projectId: z.uuid("projectId must be a UUID"), changes: z.object(settings).partial() });
export type TUpdateProjectInput = z.input<typeof ZUpdateProjectInput>;

export const ZProjectIdInput = z.object({ projectId: z.uuid("projectId must be a UUID") });

export const ZMarkGoldInput = z.object({
  taskId: z.uuid("taskId must be a UUID"),
  /** The expected judgement; null unmarks the task. */
  answer: z.object({ ranking: ZRanking.shape.groups, promptPolicy: z.enum(promptPolicies).nullable().default(null) }).nullable(),
});

export const ZAddMembersInput = z.object({
  projectId: z.uuid("projectId must be a UUID"),
  userIds: z.array(z.string().min(1).max(64)).min(1, "Choose at least one person").max(500),
});

export const ZRemoveMemberInput = z.object({ projectId: z.uuid("projectId must be a UUID"), userId: z.string().min(1).max(64) });
