import { getDb } from "../../../server/db";
import { checkHealth } from "../../../server/health/service";
import { handleErrors } from "../../../server/http/errors";
import { getBoss } from "../../../server/queue";

export const dynamic = "force-dynamic";

export const GET = handleErrors(async () => {
  const report = await checkHealth(getDb(), () => getBoss().then((boss) => boss.getQueues()));
  return Response.json(report, { status: report.ok ? 200 : 503 });
});
