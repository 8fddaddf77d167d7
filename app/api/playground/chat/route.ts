import { AppError } from "../../../../server/errors";
import { readJsonWithin } from "../../../../server/http/body-limit";
import { withSession } from "../../../../server/http/session-route";
import { startPlaygroundChat } from "../../../../server/serving/chat";
import { assertStorable } from "../../../../server/text/storable";

const maxBodyBytes = 2 * 1024 * 1024;

/**
 * One Playground turn: `{ modelVersionId, messages, maxTokens?, temperature? }` in, the answer out
 * as JSON lines (`{type: "delta", text}` …, then `{type: "done", …}` or `{type: "error", message}`).
 * The model server is reached from here only; the browser never learns its address.
 */
export async function POST(req: Request) {
  return withSession(req, async ({ db, user }) => {
    const body = await readJsonWithin(req, maxBodyBytes, () => new AppError("PAYLOAD_TOO_LARGE", `The conversation is larger than ${maxBodyBytes / 1024 / 1024} MB`));
    if (body === undefined) throw new AppError("BAD_REQUEST", "The body must be a JSON object such as {\"modelVersionId\": …, \"messages\": [{\"role\": \"user\", \"content\": …}]}");
    assertStorable(body, "body");
    const stream = await startPlaygroundChat(db, user, body, { signal: req.signal });
    return new Response(stream, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" } });
  });
}
