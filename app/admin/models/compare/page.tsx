import type { Metadata } from "next";
import { requireRole } from "../../../../server/users/current-user";
import { CompareView } from "./compare-view";

export const metadata: Metadata = { title: "Compare evaluations · RLHF Studio" };

export default async function CompareEvaluationsPage({ searchParams }: { searchParams: Promise<{ a?: string; b?: string }> }) {
  const { a, b } = await searchParams;
  await requireRole("admin", `/admin/models/compare?a=${a ?? ""}&b=${b ?? ""}`);
  return <CompareView a={a ?? ""} b={b ?? ""} />;
}
