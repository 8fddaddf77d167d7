import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "../../../../server/auth";

// Built per request so that `next build` never needs a database.
export const GET = (req: Request) => toNextJsHandler(getAuth()).GET(req);
export const POST = (req: Request) => toNextJsHandler(getAuth()).POST(req);
