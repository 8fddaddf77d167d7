import Link from "next/link";
import { requireRole } from "../../server/users/current-user";
import { ImportPanel } from "./import-panel";
import { JobsPanel } from "./jobs-panel";
import { UsersPanel } from "./users-panel";

export default async function AdminHome() {
  await requireRole("admin", "/admin");
  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h1>Admin console</h1>
        <p className="text-sm text-slate-600">
          Projects, dashboards and settings live under{" "}
          <Link href="/admin/projects" className="text-blue-700 underline">
            Projects
          </Link>
          ; data leaves through{" "}
          <Link href="/admin/exports" className="text-blue-700 underline">
            Exports and API keys
          </Link>
          ; every privileged change is in the{" "}
          <Link href="/admin/audit" className="text-blue-700 underline">
            Audit log
          </Link>
          .
        </p>
      </div>
      <ImportPanel />
      <UsersPanel />
      <JobsPanel />
    </>
  );
}
