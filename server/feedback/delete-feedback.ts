// Deleting a production conversation on request, by the deployment's own id: its row and every
// prompt and task made from it go, through the deletion with lineage (snapshots marked, models
// flagged, audit-logged). A conversation that never became a task is only its own row.
import type { Db } from "../db";
import { writeAudit } from "../audit/log";
import { deletePromptsWithLineage, type DeletionResult } from "../governance/delete-conversation";
import { feedbackLineage } from "./lineage";
import { scrubGenerateRuns } from "./scrub-runs";

export async function deleteFeedbackConversation(
  db: Db,
  input: { projectId: string; externalId: string; reason: string; actorId?: string | null; apiKeyId?: string | null; artifactDir: string },
): Promise<DeletionResult> {
  const lineage = await feedbackLineage(db, input);
  if (lineage.promptIds.length) {
    // The conversation's row goes in the same transaction: it is linked to the tasks being deleted.
    return deletePromptsWithLineage(db, { ...input, promptIds: lineage.promptIds });
  }
  const deleted = await db.$transaction(async (tx) => {
    await tx.feedbackConversation.delete({ where: { id: lineage.conversationId } });
    await writeAudit(tx, {
      actorId: input.actorId ?? null,
      action: "data.delete",
      target: `feedback_conversation:${lineage.conversationId}`,
      projectId: input.projectId,
      after: { reason: input.reason, apiKeyId: input.apiKeyId ?? null, feedbackConversationIds: [lineage.conversationId], promptIds: [] },
    });
    return { deletionId: null, promptIds: [], taskIds: [], responseIds: [], annotationCount: 0, demonstrationCount: 0, reportCount: 0, feedbackConversationIds: [lineage.conversationId], snapshots: [], models: [] };
  });
  // A generate run may have staged it without importing a task (all its samples were skipped).
  await scrubGenerateRuns(db, input.artifactDir, deleted.feedbackConversationIds);
  return deleted;
}
