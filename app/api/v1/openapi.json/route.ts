import { getEnv } from "../../../../server/env";
import { openApiDocument } from "../../../../server/export/openapi";
import { handleErrors } from "../../../../server/http/errors";

/** The OpenAPI document of /api/v1; public, like any API description. */
export const GET = handleErrors(async () => Response.json(openApiDocument(getEnv().APP_URL)));
