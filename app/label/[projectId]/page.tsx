import type { Metadata } from "next";
import { requireUser } from "../../../server/users/current-user";
import { LabellingSession } from "./labelling-session";

export const metadata: Metadata = { title: "Labelling · RLHF Studio" };

export default async function LabelPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  await requireUser(`/label/${projectId}`);
  return <LabellingSession projectId={projectId} />;
}
