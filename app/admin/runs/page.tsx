import type { Metadata } from "next";
import { requireRole } from "../../../server/users/current-user";
import { NewRunForm } from "./new-run-form";
import { RunsList } from "./runs-list";
import { WorkersPanel } from "./workers-panel";

export const metadata: Metadata = { title: "Training runs · RLHF Studio" };

export default async function RunsPage() {
  await requireRole("admin", "/admin/runs");
  return (
    <>
      <h1>Training runs</h1>
      <NewRunForm />
      <RunsList />
      <WorkersPanel />
    </>
  );
}
