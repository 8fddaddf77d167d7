import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "../../../../server/auth";
import { handleErrors } from "../../../../server/http/errors";

// Built per request so that `next build` never needs a database.
export const GET = handleErrors((req: Request) => toNextJsHandler(getAuth()).GET(req));
export const POST = handleErrors((req: Request) => toNextJsHandler(getAuth()).POST(req));
