import type { Metadata } from "next";
import { requireRole } from "../../../../server/users/current-user";
import { ProjectDashboard } from "./project-dashboard";

export const metadata: Metadata = { title: "Project dashboard · RLHF Studio" };

export default async function ProjectPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const user = await requireRole("reviewer", `/admin/projects/${projectId}`);
  return <ProjectDashboard projectId={projectId} canEdit={user.role === "admin"} />;
}
