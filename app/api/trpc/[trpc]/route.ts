import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { maxTrpcBatchSize } from "../../../../server/api/limits";
import { appRouter } from "../../../../server/api/root";
import { createContext } from "../../../../server/api/trpc";
import { ZRequestLimitsEnv } from "../../../../server/env";
import { withCappedBody } from "../../../../server/http/body-limit";

/** 413 in tRPC's own error shape, for a request refused before tRPC reads it. */
function payloadTooLarge(message: string) {
  return Response.json({ error: { json: { message, code: -32013, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } } } }, { status: 413, headers: { "cache-control": "no-store" } });
}

async function handler(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const calls = url.pathname.slice("/api/trpc/".length).split(",").length;
  if (url.searchParams.get("batch") === "1" && calls > maxTrpcBatchSize) {
    return payloadTooLarge(`A request may batch at most ${maxTrpcBatchSize} calls; this one has ${calls}. Send them in several requests.`);
  }
  const maxMb = ZRequestLimitsEnv.parse(process.env).TRPC_MAX_BODY_MB;
  const capped = withCappedBody(req, maxMb * 1024 * 1024, () => new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `The request body is larger than ${maxMb} MB (TRPC_MAX_BODY_MB); for bigger files use the streaming import.` }));
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: capped,
    router: appRouter,
    createContext: () => createContext({ headers: req.headers }),
    maxBatchSize: maxTrpcBatchSize,
    // Procedure results are per user and small: never cached, and not gzipped by the server, whose
    // per-response compressor cost a tenth of the CPU of the next-task/submit loop
    // (see docs/benchmarks.md). A proxy in front may still compress.
    responseMeta: ({ ctx }) => ({ headers: new Headers({ "cache-control": "no-store, no-transform", ...(ctx ? { "x-request-id": ctx.requestId } : {}) }) }),
  });
}

export { handler as GET, handler as POST };
