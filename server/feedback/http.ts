import type { Db } from "../db";
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
