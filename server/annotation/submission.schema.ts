import { z } from "zod";
import { strengths } from "./ranking";
import { maxRationaleLength, promptPolicies, qualityFlags, rubricGrades } from "./submission";

export const maxResponsesPerTask = 16;

export const ZResponseId = z.string().min(1).max(64);
export const ZStrength = z.enum(strengths);
export const ZPromptPolicy = z.enum(promptPolicies);
export const ZRubricGrade = z.enum(rubricGrades);
export const ZQualityFlag = z.enum(qualityFlags);

// The wire format only bounds sizes and shapes; whether a ranking fits its task (every response
// once, ties allowed, strengths line up) is validateSubmission's job, with sentences for the form.
export const ZRanking = z
  .object({
    groups: z.array(z.array(ZResponseId).min(1).max(maxResponsesPerTask)).min(1).max(maxResponsesPerTask),
    strengths: z.array(ZStrength).max(maxResponsesPerTask - 1),
  })
  .refine((r) => r.groups.reduce((n, g) => n + g.length, 0) <= maxResponsesPerTask, {
    message: `A ranking holds at most ${maxResponsesPerTask} responses`,
    path: ["groups"],
  });
export type TRanking = z.infer<typeof ZRanking>;

const byResponse = <T extends z.ZodType>(value: T) =>
  z.record(ZResponseId, value).refine((r) => Object.keys(r).length <= maxResponsesPerTask, {
    message: `At most ${maxResponsesPerTask} responses`,
  });

export const ZSubmissionLabels = z.object({
  ranking: ZRanking,
  promptPolicy: ZPromptPolicy,
  harmCategory: z.string().trim().min(1).max(100).nullable().default(null),
  rubric: byResponse(ZRubricGrade).default({}),
  flags: byResponse(z.array(ZQualityFlag).max(qualityFlags.length)).default({}),
  rationale: z.string().max(maxRationaleLength).nullable().default(null),
});
export type TSubmissionLabels = z.infer<typeof ZSubmissionLabels>;
export type TSubmissionLabelsInput = z.input<typeof ZSubmissionLabels>;
