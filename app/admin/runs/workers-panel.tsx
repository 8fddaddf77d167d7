"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { dateTime, duration, shortId } from "../../components/format";
import { ErrorText, Panel } from "../../components/panel";
import { describeCapabilities } from "../../../server/workers/capabilities";
import { useTRPC } from "../../trpc/client";
import { useNow } from "./runs-list";

export function WorkersPanel() {
  const trpc = useTRPC();
  const workers = useQuery({ ...trpc.workers.list.queryOptions(), refetchInterval: 10_000 });
  const now = useNow(true);

  return (
    <Panel title="Workers">
      <ErrorText message={workers.error?.message} />
      <table className="w-full text-left text-sm">
        <thead className="border-b text-slate-500">
          <tr>
            <th className="py-2">Worker</th>
            <th>Status</th>
            <th>Capabilities</th>
            <th>Running</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {workers.data?.map((w) => (
            <tr key={w.id} className="border-b last:border-0" data-testid="worker-row">
              <td className="py-2">
                <div className="font-mono text-xs">{w.id}</div>
                <div className="text-xs text-slate-500">{w.host}</div>
              </td>
              <td>
                <span
                  data-testid="worker-status"
                  className={`rounded px-2 py-0.5 text-xs font-medium ${w.alive ? "bg-green-100 text-green-800" : "bg-slate-100 text-slate-600"}`}
                >
                  {w.alive ? "alive" : "stale"}
                </span>
                <div className="text-xs text-slate-500">seen {duration(Math.max(0, now - w.lastSeenAt.getTime()))} ago</div>
              </td>
              <td className="text-xs text-slate-600">{describeCapabilities(w.capabilities)}</td>
              <td className="text-xs">
                {w.runningJobs.length === 0
                  ? "idle"
                  : w.runningJobs.map((j) => (
                      <div key={j.id}>
                        <Link href={`/admin/runs/${j.id}`} className="font-mono text-blue-700 underline">
                          {shortId(j.id)}
                        </Link>{" "}
                        {j.kind}
                      </div>
                    ))}
              </td>
              <td className="text-xs text-slate-600">{dateTime(w.startedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {workers.data?.length === 0 && <p className="text-sm text-slate-500">No worker has started yet.</p>}
    </Panel>
  );
}
