import { z } from "zod";
import { maxPromptsPerDeletion } from "./delete-conversation";

const projectId = z.uuid("projectId must be a UUID");
const promptIds = z.array(z.uuid("promptIds must be UUIDs")).min(1, "Choose at least one conversation").max(maxPromptsPerDeletion, `At most ${maxPromptsPerDeletion} conversations per deletion`);

export const ZFindConversationsInput = z.object({ projectId, query: z.string().trim().min(1, "Type some text of the conversation, or its id").max(2000) });
export const ZPreviewDeletionInput = z.object({ projectId, promptIds });
export const ZDeleteConversationsInput = z.object({
  projectId,
  promptIds,
  reason: z.string().trim().min(3, "Give a reason for the deletion (at least 3 characters): it is kept in the record").max(2000),
});
export const ZDeletionsInput = z.object({ projectId });
