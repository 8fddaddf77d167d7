import type { Metadata } from "next";
import { requireRole } from "../../../server/users/current-user";
import { ReviewScreen } from "./review-screen";

export const metadata: Metadata = { title: "Review · RLHF Studio" };

export default async function ReviewAnnotationPage({ params }: { params: Promise<{ annotationId: string }> }) {
  const { annotationId } = await params;
  const user = await requireRole("reviewer", `/review/${annotationId}`);
  return <ReviewScreen annotationId={annotationId} viewer={{ id: user.id, isAdmin: user.role === "admin" }} />;
}
