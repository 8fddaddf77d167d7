import { errorResponse, withApiKey } from "../../../../../../server/api-keys/http";
import { consumeSnapshotQuota } from "../../../../../../server/api-keys/service";
import { getEnv, ZRequestLimitsEnv } from "../../../../../../server/env";
import { AppError, describeZodError } from "../../../../../../server/errors";
import { readJsonWithin } from "../../../../../../server/http/body-limit";
import { assertStorable } from "../../../../../../server/text/storable";
import { ZExportRequest } from "../../../../../../server/export/filter";
import { createSnapshot, listSnapshots } from "../../../../../../server/export/snapshots";

export async function GET(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withApiKey(req, projectId, async ({ db }) => Response.json({ snapshots: await listSnapshots(db, projectId) }));
}

/** Freezes a format and filter (the JSON body, same fields as the export's query) into a snapshot. */
export async function POST(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withApiKey(req, projectId, async ({ db, key }) => {
    const maxKb = ZRequestLimitsEnv.parse(process.env).API_MAX_JSON_KB;
    const body = await readJsonWithin(req, maxKb * 1024, () => new AppError("PAYLOAD_TOO_LARGE", `The body is larger than ${maxKb} KB (API_MAX_JSON_KB)`));
    if (body === undefined) return errorResponse(400, "BAD_REQUEST", "The body must be a JSON object such as {\"format\": \"pairs\"}");
    assertStorable(body, "body");
    const parsed = ZExportRequest.safeParse(body);
    if (!parsed.success) return errorResponse(400, "BAD_REQUEST", describeZodError(parsed.error));
    await consumeSnapshotQuota(db, key.keyId, getEnv().API_KEY_SNAPSHOTS_PER_HOUR);
    const snapshot = await createSnapshot(db, { projectId, request: parsed.data, artifactDir: getEnv().ARTIFACT_DIR, createdByKeyId: key.keyId, createdById: key.ownerId });
    return Response.json(snapshot, { status: 201 });
  }, "write");
}
