import { requireRole } from "../../server/users/current-user";

export default async function ReviewLayout({ children }: { children: React.ReactNode }) {
  await requireRole("reviewer", "/review");
  return <div className="space-y-6">{children}</div>;
}
