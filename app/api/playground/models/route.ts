import { withSession } from "../../../../server/http/session-route";
import { assertCanUsePlayground, listServedModels } from "../../../../server/serving/served-models";

/** The model versions being served now, for the Playground's picker (names and ids, no addresses). */
export async function GET(req: Request) {
  return withSession(req, async ({ db, user }) => {
    assertCanUsePlayground(user);
    return Response.json({ models: await listServedModels(db) }, { headers: { "cache-control": "no-store" } });
  });
}
