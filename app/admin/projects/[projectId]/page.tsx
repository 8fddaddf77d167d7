import type { Metadata } from "next";
import { requireProjectOr404 } from "../../../../server/projects/page-guard";
import { requireRole } from "../../../../server/users/current-user";
import { ProjectDashboard } from "./project-dashboard";

export const metadata: Metadata = { title: "Project dashboard · RLHF Studio" };

export default async function ProjectPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  const user = await requireRole("reviewer", `/admin/projects/${projectId}`);
  await requireProjectOr404(projectId);
  return <ProjectDashboard projectId={projectId} canEdit={user.role === "admin"} />;
}
