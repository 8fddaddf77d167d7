"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";

/** Admin-only: who works on this project. Annotators and reviewers who are not members never see it. */
export function MembersPanel({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.projects.members.queryOptions({ projectId }));
  const users = useQuery(trpc.users.list.queryOptions());
  const [chosen, setChosen] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.projects.members.queryKey({ projectId }) });
  const add = useMutation(trpc.projects.addMembers.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.projects.removeMember.mutationOptions({ onSuccess: refresh }));

  const memberIds = new Set(members.data?.map((m) => m.id));
  const candidates = (users.data ?? []).filter((u) => u.role !== "admin" && u.active && !memberIds.has(u.id));
  const annotators = members.data?.filter((m) => m.role === "annotator" && m.active).length ?? 0;

  return (
    <Panel title="Members">
      <p className="text-sm text-slate-600">
        Annotators label and reviewers review only the projects they are members of; admins work on every project.
      </p>
      {members.data && annotators === 0 && (
        <p role="status" className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
          No active annotator is a member yet, so nobody can label this project.
        </p>
      )}
      <div className="flex flex-wrap items-end gap-2">
        <label htmlFor="add-member" className="space-y-1 text-sm">
          <span className="block font-medium">Add a person</span>
          <select id="add-member" value={chosen} onChange={(e) => setChosen(e.target.value)} className="rounded border border-slate-300 px-2 py-1">
            <option value="">Choose…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email}, {u.role})
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          disabled={!chosen || add.isPending}
          onClick={() => add.mutate({ projectId, userIds: [chosen] }, { onSuccess: () => setChosen("") })}
        >
          Add
        </button>
        {candidates.length > 1 && (
          <button type="button" className="btn" disabled={add.isPending} onClick={() => add.mutate({ projectId, userIds: candidates.map((u) => u.id) })}>
            Add all {candidates.length} annotators and reviewers
          </button>
        )}
      </div>
      <ErrorText message={members.error?.message ?? add.error?.message ?? remove.error?.message} />
      {members.data && members.data.length > 0 && (
        <table className="w-full text-left text-sm">
          <thead className="border-b text-slate-500">
            <tr>
              <th className="py-2">Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Added</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.id} className="border-b last:border-0">
                <td className="py-2">
                  {m.name}
                  {!m.active && <span className="ml-2 text-slate-500">(deactivated)</span>}
                </td>
                <td>{m.email}</td>
                <td>{m.role}</td>
                <td className="text-slate-500">
                  {m.addedAt.toLocaleDateString()}
                  {m.addedBy ? ` by ${m.addedBy}` : ""}
                </td>
                <td className="text-right">
                  <button
                    type="button"
                    className="text-red-700 underline"
                    aria-label={`Remove ${m.email}`}
                    disabled={remove.isPending}
                    onClick={() => remove.mutate({ projectId, userId: m.id })}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
