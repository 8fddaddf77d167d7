import { z } from "zod";
import { PromptPolicy } from "../generated/prisma/enums";
import { ZMessages } from "../import/conversation";

export const maxEvaluationPrompts = 5000;

export const ZEvaluationPromptInput = z.object({
  messages: ZMessages.refine((m) => m.at(-1)?.role === "user", "the last message must be the user's: the policy answers it"),
  policy: z.enum(PromptPolicy, "policy is allowed, sensitive or disallowed"),
  harmCategory: z.string().trim().min(1).max(100).nullish(),
});
export type TEvaluationPromptInput = z.infer<typeof ZEvaluationPromptInput>;

const ZPrompts = z.array(ZEvaluationPromptInput).max(maxEvaluationPrompts, `at most ${maxEvaluationPrompts} prompts at once`);

export const ZCreateEvaluationSetInput = z.object({
  projectId: z.uuid("projectId must be a project's id"),
  name: z.string().trim().min(1, "Name the set").max(200),
  description: z.string().max(5000).default(""),
  prompts: ZPrompts.default([]),
});
export type TCreateEvaluationSetInput = z.infer<typeof ZCreateEvaluationSetInput>;

export const ZEvaluationSetIdInput = z.object({ setId: z.uuid("setId must be an evaluation set's id") });
export const ZProjectEvaluationSetsInput = z.object({ projectId: z.uuid("projectId must be a project's id") });

export const ZAddEvaluationPromptsInput = z.object({ setId: z.uuid("setId must be an evaluation set's id"), prompts: ZPrompts.min(1, "add at least one prompt") });

export const ZUpdateEvaluationPromptInput = z.object({
  promptId: z.uuid("promptId must be an evaluation prompt's id"),
  policy: z.enum(PromptPolicy, "policy is allowed, sensitive or disallowed").optional(),
  harmCategory: z.string().trim().min(1).max(100).nullable().optional(),
});

export const ZRemoveEvaluationPromptInput = z.object({ promptId: z.uuid("promptId must be an evaluation prompt's id") });
