import type { Metadata } from "next";
import { requireRole } from "../../../../server/users/current-user";
import { RunView } from "./run-view";

export const metadata: Metadata = { title: "Training run · RLHF Studio" };

export default async function RunPage({ params }: { params: Promise<{ jobId: string }> }) {
  const { jobId } = await params;
  await requireRole("admin", `/admin/runs/${jobId}`);
  return <RunView jobId={jobId} />;
}
