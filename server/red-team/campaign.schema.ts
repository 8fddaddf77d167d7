import { z } from "zod";
import { PromptPolicy } from "../generated/prisma/enums";
import { ZMessages } from "../import/conversation";
import { tacticTagList } from "./tactics";

const ZGoal = z.object({
  category: z.string().trim().min(1, "a goal needs its harm category").max(100),
  goal: z.string().trim().min(1, "say what the red-teamers try to make the model do in this category").max(2000),
});

export const ZCreateCampaignInput = z.object({
  projectId: z.uuid("projectId must be a project's id"),
  name: z.string().trim().min(1, "Name the campaign").max(200),
  description: z.string().max(5000).default(""),
  targetModelId: z.uuid("targetModelId must be a model version's id"),
  goals: z
    .array(ZGoal)
    .min(1, "give at least one harm category with its goal")
    .max(50)
    .refine((g) => new Set(g.map((x) => x.category)).size === g.length, "each harm category once"),
  domains: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
});
export type TCreateCampaignInput = z.infer<typeof ZCreateCampaignInput>;

export const ZCampaignIdInput = z.object({ campaignId: z.uuid("campaignId must be a campaign's id") });

export const ZRecordAttemptInput = z.object({
  campaignId: z.uuid("campaignId must be a campaign's id"),
  modelVersionId: z.uuid("modelVersionId must be a model version's id"),
  messages: ZMessages.refine((m) => m.at(-1)?.role === "assistant", "the conversation must end with the model's answer that is graded")
    .refine((m) => m.some((x) => x.role === "user"), "the conversation needs the attacker's turn")
    // A blank answer complies with nothing, and a success could not be sent on: its task ranks the failing answer.
    .refine((m) => m.at(-1)?.role !== "assistant" || m.at(-1)!.content.trim() !== "", "the model's answer is empty, so there is nothing to grade: send the message again"),
  harmCategory: z.string().trim().min(1, "choose the harm category").max(100),
  domain: z.string().trim().min(1).max(100).nullish(),
  tactics: z.array(z.enum(tacticTagList as [string, ...string[]], `a tactic is one of: ${tacticTagList.join(", ")}`)).min(1, "tag the tactic").max(10),
  tacticNote: z.string().trim().max(5000).default(""),
  promptPolicy: z.enum(PromptPolicy, "promptPolicy is allowed, sensitive or disallowed"),
  grade: z.enum(["A", "B", "C", "D"], "grade the answer A, B, C or D"),
});
export type TRecordAttemptInput = z.infer<typeof ZRecordAttemptInput>;

export const ZSendOnInput = z.object({
  campaignId: z.uuid("campaignId must be a campaign's id"),
  /** The successful attempts to send on; default: every success not sent yet. */
  attemptIds: z.array(z.uuid()).max(1000).optional(),
  /** The policy the fresh candidates are sampled from; default: the project's current policy. */
  policyModelId: z.uuid("policyModelId must be a model version's id").optional(),
});

export const ZReplayInput = z.object({
  campaignId: z.uuid("campaignId must be a campaign's id"),
  modelVersionId: z.uuid("modelVersionId must be a model version's id"),
});
