import type { Metadata } from "next";
import { requireProjectOr404 } from "../../../../../server/projects/page-guard";
import { requireRole } from "../../../../../server/users/current-user";
import { ConversationData } from "./conversation-data";

export const metadata: Metadata = { title: "Data · RLHF Studio" };

export default async function DataPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await requireRole("admin", `/admin/projects/${projectId}/data`);
  await requireProjectOr404(projectId);
  return <ConversationData projectId={projectId} />;
}
