import { requireRole } from "../../server/users/current-user";
import { CampaignList } from "./campaign-list";

export default async function RedTeamPage() {
  const user = await requireRole("red_teamer", "/red-team");
  return (
    <div className="space-y-8">
      <h1>Red teaming</h1>
      <CampaignList isAdmin={user.role === "admin"} />
    </div>
  );
}
