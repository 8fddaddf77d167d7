import type { Metadata } from "next";
import { requireProjectOr404 } from "../../../../../server/projects/page-guard";
import { requireRole } from "../../../../../server/users/current-user";
import { LoopSteps } from "./loop-steps";

export const metadata: Metadata = { title: "Training loop · RLHF Studio" };

export default async function LoopPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await requireRole("admin", `/admin/projects/${projectId}/loop`);
  await requireProjectOr404(projectId);
  return <LoopSteps projectId={projectId} />;
}
