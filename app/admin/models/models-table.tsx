"use client";

import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { dateTime, shortId } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { CheckpointBadge, CurrentPolicyBadge, Headline, RetrainBadge } from "./model-badges";
import { ModelDetail } from "./model-detail";

export function ModelsTable() {
  const trpc = useTRPC();
  const [checkpoints, setCheckpoints] = useState(true);
  const [pruned, setPruned] = useState(false);
  const models = useQuery(trpc.models.list.queryOptions({ limit: 500, checkpoints, pruned: checkpoints && pruned }));
  const [open, setOpen] = useState<string | null>(null);

  return (
    <Panel title="Model versions">
      <div className="mb-2 flex gap-4 text-sm">
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={checkpoints} onChange={(e) => setCheckpoints(e.target.checked)} />
          Checkpoints of runs
        </label>
        <label className={`flex items-center gap-1 ${checkpoints ? "" : "text-slate-400"}`}>
          <input type="checkbox" checked={pruned} disabled={!checkpoints} onChange={(e) => setPruned(e.target.checked)} />
          Pruned checkpoints
        </label>
      </div>
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
                    <CheckpointBadge model={m} />
                    <RetrainBadge model={m} />
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
                  <Headline items={m.headline} caveats={m.caveats} />
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
