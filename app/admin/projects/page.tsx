import type { Metadata } from "next";
import { requireRole } from "../../../server/users/current-user";
import { ProjectsOverview } from "./projects-overview";

export const metadata: Metadata = { title: "Projects · RLHF Studio" };

export default async function ProjectsPage() {
  const user = await requireRole("reviewer", "/admin/projects");
  return <ProjectsOverview canEdit={user.role === "admin"} />;
}
