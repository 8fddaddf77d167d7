import { getEnv } from "../../../../server/env";
import { openApiDocument } from "../../../../server/export/openapi";

/** The OpenAPI document of /api/v1; public, like any API description. */
export function GET() {
  return Response.json(openApiDocument(getEnv().APP_URL));
}
