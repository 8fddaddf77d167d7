import { requireRole } from "../../server/users/current-user";

export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  await requireRole("admin", "/admin");
  return <div className="space-y-8">{children}</div>;
}
