import { getDb } from "../../../server/db";
import { checkHealth } from "../../../server/health/service";
import { getBoss } from "../../../server/queue";

export const dynamic = "force-dynamic";

export async function GET() {
  const report = await checkHealth(getDb(), () => getBoss().then((boss) => boss.getQueues()));
  return Response.json(report, { status: report.ok ? 200 : 503 });
}
