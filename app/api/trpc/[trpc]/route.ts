import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "../../../../server/api/root";
import { maxTrpcBatchSize } from "../../../../server/api/limits";
import { createContext } from "../../../../server/api/trpc";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
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
