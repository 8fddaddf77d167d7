import { errorResponse, withApiKey } from "../../../../../../server/api-keys/http";
import { exportRequestFromSearchParams } from "../../../../../../server/export/filter";
import { exportChunks, toReadableStream } from "../../../../../../server/export/stream";
import { describeZodError } from "../../../../../../server/errors";

/**
 * Streams the project's preference data as JSON Lines. With `gzip=1` the stream is gzipped and sent
 * as a .jsonl.gz file: Next.js does not pass a route handler's Content-Encoding through, so the
 * compression is the file's, not the transfer's.
 */
export async function GET(req: Request, { params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return withApiKey(req, projectId, async ({ db }) => {
    const params = new URL(req.url).searchParams;
    const gzip = params.get("gzip") === "1" || params.get("gzip") === "true";
    params.delete("gzip");
    const parsed = exportRequestFromSearchParams(params);
    if (!parsed.success) return errorResponse(400, "BAD_REQUEST", describeZodError(parsed.error));
    const chunks = exportChunks(db, { projectId, request: parsed.data });
    // Surface a missing project as 404 before the 200 header goes out.
    const first = await chunks.next();
    async function* all() {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    let body: ReadableStream<Uint8Array> = toReadableStream(all());
    const filename = `${projectId}-${parsed.data.format}.jsonl${gzip ? ".gz" : ""}`;
    if (gzip) body = body.pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
    return new Response(body, {
      headers: {
        "content-type": gzip ? "application/gzip" : "application/jsonl; charset=utf-8",
        "cache-control": "no-store, no-transform",
        "content-disposition": `attachment; filename="${filename}"`,
      },
    });
  });
}
