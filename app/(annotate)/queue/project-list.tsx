"use client";

import { useQuery } from "@tanstack/react-query";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

export function ProjectList() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  return (
    <Panel title="Projects">
      <ErrorText message={projects.error?.message} />
      {projects.data?.length === 0 && <p className="text-sm text-slate-500">No projects yet. An admin creates them.</p>}
      <ul className="divide-y">
        {projects.data?.map((p) => (
          <li key={p.id} className="py-3" data-testid="project">
            <p className="font-medium">{p.name}</p>
            <p className="text-sm text-slate-600">{p.description}</p>
            <p className="text-xs text-slate-500">
              {p.k} responses per prompt · {p.mode === "rank" ? "ranking" : "pairwise"} · {p.overlap} annotator(s) per item
            </p>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
