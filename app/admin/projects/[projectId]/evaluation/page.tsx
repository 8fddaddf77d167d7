import type { Metadata } from "next";
import { requireProjectOr404 } from "../../../../../server/projects/page-guard";
import { requireRole } from "../../../../../server/users/current-user";
import { EvaluationSets } from "./evaluation-sets";

export const metadata: Metadata = { title: "Evaluation sets · RLHF Studio" };

export default async function EvaluationSetsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await requireRole("admin", `/admin/projects/${projectId}/evaluation`);
  await requireProjectOr404(projectId);
  return <EvaluationSets projectId={projectId} />;
}
