import type { Metadata } from "next";
import { requireRole } from "../../../server/users/current-user";
import { ModelsTable } from "./models-table";

export const metadata: Metadata = { title: "Models · RLHF Studio" };

export default async function ModelsPage() {
  await requireRole("admin", "/admin/models");
  return (
    <>
      <h1>Model registry</h1>
      <ModelsTable />
    </>
  );
}
