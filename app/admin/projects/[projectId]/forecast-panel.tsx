"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { dateTime, shortId } from "../../../components/format";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";
import { ForecastAnswers, ForecastChart } from "../../runs/forecast-chart";

/** The project's latest succeeded label-budget forecast: what more labels would buy. */
export function ForecastPanel({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const latest = useQuery(trpc.forecast.latest.queryOptions({ projectId }));
  const data = latest.data;
  return (
    <Panel
      title="Label-budget forecast"
      actions={
        data && (
          <Link href={`/admin/runs/${data.jobId}`} className="text-sm text-blue-700 hover:underline" data-testid="forecast-run-link">
            Run {shortId(data.jobId)}
            {data.finishedAt ? ` · ${dateTime(data.finishedAt)}` : ""}
          </Link>
        )
      }
    >
      <ErrorText message={latest.error?.message} />
      {latest.isPending ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : !data ? (
        <p className="text-sm text-slate-500">
          No forecast yet: start one (Runs → New run → Forecast) to see how held-out accuracy grows with more labelled pairs.
        </p>
      ) : (
        <div className="space-y-3" data-testid="project-forecast">
          <ForecastAnswers forecast={data.forecast} />
          <ForecastChart forecast={data.forecast} />
        </div>
      )}
    </Panel>
  );
}
