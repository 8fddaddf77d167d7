"use client";

import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { dateTime, shortId } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { CurrentPolicyBadge, Headline } from "./model-badges";
import { ModelDetail } from "./model-detail";

export function ModelsTable() {
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions({ limit: 500 }));
  const [open, setOpen] = useState<string | null>(null);

  return (
    <Panel title="Model versions">
      <ErrorText message={models.error?.message} />
      <table className="w-full text-left text-sm">
        <thead className="border-b text-slate-500">
          <tr>
            <th className="py-2">Name</th>
            <th>Kind</th>
            <th>Created</th>
            <th>Project</th>
            <th>Snapshot</th>
            <th>Parent</th>
            <th>Eval</th>
          </tr>
        </thead>
        <tbody>
          {models.data?.map((m) => (
            <Fragment key={m.id}>
              <tr className="border-b align-top last:border-0" data-testid="model-row">
                <td className="py-2">
                  <button type="button" className="text-left text-blue-700 underline" aria-expanded={open === m.id} onClick={() => setOpen(open === m.id ? null : m.id)}>
                    {m.name}
                  </button>
                  <div>
                    {m.currentPolicyOf.map((p) => (
                      <CurrentPolicyBadge key={p.id} project={p} />
                    ))}
                  </div>
                </td>
                <td className="py-2">{m.kind}</td>
                <td className="py-2 text-xs text-slate-600">{dateTime(m.createdAt)}</td>
                <td className="py-2">{m.project?.name ?? "–"}</td>
                <td className="py-2 text-xs">{m.snapshot ? `${shortId(m.snapshot.id)} · ${m.snapshot.format} (${m.snapshot.rowCount} rows)` : "–"}</td>
                <td className="py-2 text-xs">{m.parent ? `${m.parent.name} (${m.parent.kind})` : "–"}</td>
                <td className="py-2 text-xs">
                  <Headline items={m.headline} />
                </td>
              </tr>
              {open === m.id && (
                <tr className="border-b bg-slate-50">
                  <td colSpan={7} className="p-4">
                    <ModelDetail modelVersionId={m.id} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
      {models.data?.length === 0 && <p className="text-sm text-slate-500">No model versions yet.</p>}
    </Panel>
  );
}
