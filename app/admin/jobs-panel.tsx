"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ErrorText, Panel } from "../components/panel";
import { useTRPC } from "../trpc/client";

export function JobsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobs = useQuery({
    ...trpc.jobs.list.queryOptions({ limit: 20 }),
    // Follow live jobs closely, idle ones lazily.
    refetchInterval: (query) => (query.state.data?.some((j) => j.state === "queued" || j.state === "running") ? 1000 : 10_000),
  });
  const ping = useMutation(
    trpc.jobs.enqueuePing.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.jobs.list.queryKey() }),
    }),
  );

  return (
    <Panel
      title="Jobs"
      actions={
        <button
          type="button"
          disabled={ping.isPending}
          onClick={() => ping.mutate({ message: "from the console" })}
          className="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100"
        >
          Send ping job
        </button>
      }
    >
      <ErrorText message={ping.error?.message ?? jobs.error?.message} />
      <table className="w-full text-left text-sm">
        <thead className="border-b text-slate-500">
          <tr>
            <th className="py-2">Kind</th>
            <th>State</th>
            <th>Progress</th>
            <th>Attempt</th>
            <th>Worker</th>
            <th>Created</th>
            <th>Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {jobs.data?.map((j) => (
            <tr key={j.id} className="border-b last:border-0" data-testid="job-row">
              <td className="py-2">{j.kind}</td>
              <td data-testid="job-state">{j.state}</td>
              <td>{Math.round(j.progress * 100)}%</td>
              <td>
                {j.attempt}/{j.maxAttempts}
              </td>
              <td className="font-mono text-xs">{j.workerId ?? "—"}</td>
              <td>{j.createdAt.toLocaleTimeString()}</td>
              <td>{j.heartbeatAt?.toLocaleTimeString() ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs.data?.length === 0 && <p className="text-sm text-slate-500">No jobs yet.</p>}
    </Panel>
  );
}
