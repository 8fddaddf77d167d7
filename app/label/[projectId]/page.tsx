import type { Metadata } from "next";
import { requireProjectOr404 } from "../../../server/projects/page-guard";
import { requireUser } from "../../../server/users/current-user";
import { LabellingSession } from "./labelling-session";

export const metadata: Metadata = { title: "Labelling · RLHF Studio" };

export default async function LabelPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await requireUser(`/label/${projectId}`);
  await requireProjectOr404(projectId);
  return <LabellingSession projectId={projectId} />;
}
