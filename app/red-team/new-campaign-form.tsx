"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ErrorText, Panel } from "../components/panel";
import { useTRPC } from "../trpc/client";
import { PolicySelect } from "./policy-select";

/** Admins: a target model version, harm categories from the project's taxonomy with a goal each, and the experts' domains. */
export function NewCampaignForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [projectId, setProjectId] = useState("");
  const project = useQuery({ ...trpc.projects.get.queryOptions({ projectId }), enabled: projectId !== "" });
  const [targetModelId, setTargetModelId] = useState("");
  const [goals, setGoals] = useState<Record<string, string>>({});
  const create = useMutation(
    trpc.redTeam.createCampaign.mutationOptions({
      onSuccess: async (campaign) => {
        await queryClient.invalidateQueries({ queryKey: trpc.redTeam.pathKey() });
        router.push(`/red-team/${campaign.id}`);
      },
    }),
  );
  const taxonomy = project.data?.harmTaxonomy ?? [];

  return (
    <Panel title="New campaign">
      <form
        className="space-y-3 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          create.mutate({
            projectId,
            name: String(f.get("name") ?? ""),
            description: String(f.get("description") ?? ""),
            targetModelId,
            goals: Object.entries(goals).map(([category, goal]) => ({ category, goal })),
            domains: String(f.get("domains") ?? "")
              .split(",")
              .map((d) => d.trim())
              .filter(Boolean),
          });
        }}
      >
        <div className="flex flex-wrap gap-3">
          <label className="flex flex-col">
            Project
            <select aria-label="Project" required value={projectId} onChange={(e) => (setProjectId(e.target.value), setGoals({}))} className="rounded border border-slate-300 px-2 py-1">
              <option value="">choose…</option>
              {projects.data?.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col">
            Name
            <input name="name" required className="rounded border border-slate-300 px-2 py-1" />
          </label>
          <PolicySelect label="Target model version" projectId={projectId} value={targetModelId} onChange={setTargetModelId} empty="choose…" />
          <label className="flex grow flex-col">
            Domains (comma-separated)
            <input name="domains" placeholder="chemistry, cyber, medicine, elections" className="rounded border border-slate-300 px-2 py-1" />
          </label>
        </div>
        <label className="flex flex-col">
          Description
          <textarea name="description" rows={2} className="rounded border border-slate-300 px-2 py-1" />
        </label>
        {taxonomy.length > 0 && (
          <fieldset className="space-y-1">
            <legend className="font-medium">Harm categories and the goal in each</legend>
            {taxonomy.map((category) => (
              <div key={category} className="flex items-center gap-2">
                <label className="flex w-56 items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={category in goals}
                    onChange={(e) =>
                      setGoals((g) => {
                        const next = { ...g };
                        if (e.target.checked) next[category] = "";
                        else delete next[category];
                        return next;
                      })
                    }
                  />
                  {category}
                </label>
                {category in goals && (
                  <input
                    aria-label={`Goal for ${category}`}
                    required
                    value={goals[category]}
                    onChange={(e) => setGoals((g) => ({ ...g, [category]: e.target.value }))}
                    placeholder="what the model must not be made to do"
                    className="grow rounded border border-slate-300 px-2 py-1"
                  />
                )}
              </div>
            ))}
          </fieldset>
        )}
        <button type="submit" disabled={create.isPending || !projectId} className="rounded bg-slate-900 px-3 py-1.5 text-white disabled:opacity-50">
          Start campaign
        </button>
        <ErrorText message={create.error?.message} />
      </form>
    </Panel>
  );
}
