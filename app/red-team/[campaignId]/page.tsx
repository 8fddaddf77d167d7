import { requireRole } from "../../../server/users/current-user";
import { CampaignDashboard } from "./campaign-dashboard";

export default async function CampaignPage({ params }: { params: Promise<{ campaignId: string }> }) {
  const { campaignId } = await params;
  const user = await requireRole("red_teamer", `/red-team/${campaignId}`);
  return <CampaignDashboard campaignId={campaignId} isAdmin={user.role === "admin"} />;
}
