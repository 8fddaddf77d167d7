import type { Db } from "../db";
import { getEnv } from "../env";
import { AppError } from "../errors";
import { assertStorable } from "../text/storable";
import { deleteFeedbackConversation } from "./delete-feedback";
import { declaredLength } from "../http/body-limit";
import { logger } from "../logger";
import { ingestFeedback } from "./ingest";

/** 200 with a report per line; 400 with the bad lines when any line is bad (then nothing is stored). */
export async function feedbackFromRequest(db: Db, req: Request, { projectId, apiKeyId }: { projectId: string; apiKeyId: string | null }): Promise<Response> {
  if (!req.body) return Response.json({ error: { code: "BAD_REQUEST", message: "The request body (JSON Lines, one conversation a line) is empty" } }, { status: 400 });
  const summary = await ingestFeedback(db, { projectId, body: req.body, declaredBytes: declaredLength(req), apiKeyId });
  // Counts only: the text, even redacted, stays out of the logs.
  const { received, stored, duplicates, refused, invalid, sampled, committed, redactions } = summary;
  logger.info({ event: "feedback.ingest", projectId, apiKeyId, received, stored, duplicates, refused, invalid, sampled, committed, redactions }, "feedback batch received");
  if (!summary.committed) {
    const bad = summary.lines.filter((l) => l.status === "invalid");
    return Response.json(
      { error: { code: "BAD_REQUEST", message: `${bad.length} line${bad.length === 1 ? " is" : "s are"} not valid feedback; nothing was stored` }, lines: bad },
      { status: 400 },
    );
  }
  return Response.json(summary);
}

/**
 * DELETE …/feedback/:conversationId?reason=…: the conversation and everything made from it. The
 * answer lists the snapshots now marked as holding deleted data and the models flagged for retraining.
 */
export async function deleteFeedbackConversationFromRequest(db: Db, req: Request, ids: { projectId: string; externalId: string; apiKeyId: string; ownerId: string | null }): Promise<Response> {
  assertStorable(ids.externalId, "conversationId");
  const reason = new URL(req.url).searchParams.get("reason")?.trim() || "Deletion requested through the feedback API";
  if (reason.length > 2000) throw new AppError("BAD_REQUEST", "reason: at most 2000 characters");
  const result = await deleteFeedbackConversation(db, { projectId: ids.projectId, externalId: ids.externalId, reason, apiKeyId: ids.apiKeyId, actorId: ids.ownerId, artifactDir: getEnv().ARTIFACT_DIR });
  logger.info({ event: "feedback.delete", projectId: ids.projectId, apiKeyId: ids.apiKeyId, deletionId: result.deletionId, prompts: result.promptIds.length, snapshots: result.snapshots.length, models: result.models.length }, "feedback conversation deleted");
  return Response.json({
    deleted: true,
    deletionId: result.deletionId,
    prompts: result.promptIds.length,
    tasks: result.taskIds.length,
    annotations: result.annotationCount,
    snapshots: result.snapshots.map((s) => ({ id: s.id, format: s.format, createdAt: s.createdAt })),
    models: result.models.map((m) => ({ id: m.id, name: m.name, kind: m.kind, why: m.via })),
  });
}
