import { ImportPanel } from "./import-panel";
import { JobsPanel } from "./jobs-panel";
import { UsersPanel } from "./users-panel";

export default function AdminHome() {
  return (
    <>
      <h1>Admin console</h1>
      <ImportPanel />
      <UsersPanel />
      <JobsPanel />
    </>
  );
}
