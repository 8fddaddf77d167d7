"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { dateTime } from "../components/format";
import { ErrorText, Panel } from "../components/panel";
import { useTRPC } from "../trpc/client";
import { NewCampaignForm } from "./new-campaign-form";

/** The campaigns of the caller's projects; admins also start new ones. */
export function CampaignList({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const campaigns = useQuery(trpc.redTeam.myCampaigns.queryOptions());
  return (
    <>
      <Panel title="Campaigns">
        <ErrorText message={campaigns.error?.message} />
        <p className="text-sm text-slate-600">
          Attack a campaign&apos;s target in the Playground, then save the conversation as an attempt with its tactic and your grade of the last answer. An answer graded C to a disallowed request is a
          successful attack.
        </p>
        {campaigns.data?.campaigns.length === 0 && <p className="text-sm text-slate-500">No campaign yet{isAdmin ? ": start one below." : ": an admin starts them."}</p>}
        <table className="w-full text-left text-sm">
          <thead className="border-b text-slate-500">
            <tr>
              <th className="py-2">Campaign</th>
              <th>Project</th>
              <th>Target</th>
              <th>Harm categories</th>
              <th>Attempts</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {campaigns.data?.campaigns.map((c) => (
              <tr key={c.id} className="border-b last:border-0">
                <td className="py-2">
                  <Link className="text-blue-700 underline" href={`/red-team/${c.id}`}>
                    {c.name}
                  </Link>
                </td>
                <td>{c.project.name}</td>
                <td>{c.targetModel.name}</td>
                <td>{c.goals.map((g) => g.category).join(", ")}</td>
                <td>{c._count.attempts}</td>
                <td>{c.closedAt ? `closed ${dateTime(c.closedAt)}` : "open"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Panel>
      {isAdmin && <NewCampaignForm />}
    </>
  );
}
