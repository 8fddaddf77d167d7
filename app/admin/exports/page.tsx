import { requireRole } from "../../../server/users/current-user";
import { ApiKeysPanel } from "./api-keys-panel";
import { ExportPanel } from "./export-panel";

export default async function ExportsPage() {
  await requireRole("admin", "/admin/exports");
  return (
    <>
      <h1>Exports and API keys</h1>
      <ExportPanel />
      <ApiKeysPanel />
    </>
  );
}
