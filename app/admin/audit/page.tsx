import type { Metadata } from "next";
import { requireRole } from "../../../server/users/current-user";
import { AuditLog } from "./audit-log";

export const metadata: Metadata = { title: "Audit log · RLHF Studio" };

export default async function AuditPage() {
  await requireRole("admin", "/admin/audit");
  return (
    <>
      <h1>Audit log</h1>
      <AuditLog />
    </>
  );
}
