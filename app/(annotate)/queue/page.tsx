import { requireUser } from "../../../server/users/current-user";
import { ProjectList } from "./project-list";

export default async function QueuePage() {
  const user = await requireUser("/queue");
  return (
    <div className="space-y-6">
      <h1>Welcome, {user.name}</h1>
      <ProjectList />
    </div>
  );
}
