import { requireRole } from "../../server/users/current-user";

/**
 * Reviewers may read the project pages under /admin/projects; everything else under /admin is
 * for admins and checks that itself (see app/admin/page.tsx).
 */
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  await requireRole("reviewer", "/admin");
  return <div className="space-y-8">{children}</div>;
}
