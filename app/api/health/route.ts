import { getDb } from "../../../server/db";
import { checkHealth } from "../../../server/health/service";

export const dynamic = "force-dynamic";

export async function GET() {
  const report = await checkHealth(getDb());
  return Response.json(report, { status: report.ok ? 200 : 503 });
}
