"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTable, type SortingState } from "@tanstack/react-table";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { columnHelperFor, DataTable, tableFeatureSet } from "../../components/data-table";
import { ErrorText, Panel } from "../../components/panel";
import { useTRPC } from "../../trpc/client";
import { checkProjectSettings, newProjectDefaults, ProjectSettingsFields, readProjectSettings, serverFieldErrors, type FieldErrors } from "./project-settings-fields";
import type { ProjectRow } from "./types";

const col = columnHelperFor<ProjectRow>();
const columns = col.columns([
  col.accessor("name", {
    header: "Project",
    sortFn: "text",
    cell: (info) => {
      const p = info.row.original;
      return (
        <div className="min-w-48">
          <Link href={`/admin/projects/${p.id}`} className="font-medium text-blue-700 hover:underline">
            {p.name}
          </Link>
          {p.description && <p className="line-clamp-1 text-xs text-slate-500">{p.description}</p>}
        </div>
      );
    },
  }),
  col.accessor("mode", {
    header: "Mode",
    cell: (info) => (info.getValue() === "pairwise" ? "pairwise" : `rank ${info.row.original.k}`),
  }),
  col.accessor("overlap", { header: "Overlap", meta: { align: "right", hint: "Annotators per task" } }),
  col.accessor("tasks", { header: "Tasks", meta: { align: "right" }, sortDescFirst: true }),
  col.accessor("annotations", { header: "Annotations", meta: { align: "right" }, sortDescFirst: true }),
  col.accessor((p) => (p.archivedAt ? 1 : 0), {
    id: "status",
    header: "Status",
    cell: (info) =>
      info.row.original.archivedAt ? (
        <span className="rounded bg-slate-200 px-1.5 py-0.5 text-xs text-slate-700">archived</span>
      ) : (
        <span className="rounded bg-green-100 px-1.5 py-0.5 text-xs text-green-800">active</span>
      ),
  }),
  col.accessor("createdAt", {
    header: "Created",
    sortFn: "datetime",
    sortDescFirst: true,
    cell: (info) => <span className="whitespace-nowrap">{info.getValue().toLocaleDateString()}</span>,
  }),
]);

const noRows: ProjectRow[] = [];

function NewProjectForm({ onCancel }: { onCancel: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: async (project) => {
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
        router.push(`/admin/projects/${project.id}`);
      },
    }),
  );
  const [checked, setChecked] = useState<FieldErrors>({});
  const errors = { ...serverFieldErrors(create.error?.data), ...checked };
  const hasFieldErrors = Object.keys(errors).length > 0;
  return (
    <Panel title="New project">
      <form
        // The server's messages are the one source of truth for what is valid.
        noValidate
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          const settings = readProjectSettings(new FormData(e.currentTarget));
          const found = checkProjectSettings(settings);
          setChecked(found);
          create.reset();
          if (Object.keys(found).length === 0) create.mutate(settings);
        }}
      >
        <ProjectSettingsFields idPrefix="new-project" initial={newProjectDefaults} disabled={create.isPending} errors={errors} />
        <p className="text-xs text-slate-500">The safety reward table starts from the default; edit it on the project’s page (Safety reward table) if the project needs another.</p>
        <ErrorText message={hasFieldErrors ? "Some fields need attention: see the messages beside them." : create.error?.message} />
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create project"}
          </button>
        </div>
      </form>
    </Panel>
  );
}

export function ProjectsOverview({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.all.queryOptions());
  const [creating, setCreating] = useState(false);
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useTable({
    features: tableFeatureSet,
    columns,
    data: projects.data ?? noRows,
    getRowId: (p) => p.id,
    state: { sorting },
    onSortingChange: setSorting,
  });

  return (
    <>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1>Projects</h1>
        {canEdit && !creating && (
          <button type="button" className="btn-primary" onClick={() => setCreating(true)}>
            New project
          </button>
        )}
      </div>
      {canEdit && creating && <NewProjectForm onCancel={() => setCreating(false)} />}
      <Panel title="All projects">
        <ErrorText message={projects.error?.message} />
        {projects.isPending ? (
          <p className="text-sm text-slate-500">Loading projects…</p>
        ) : (
          <DataTable
            table={table}
            caption="All projects"
            rowTestId="project-row"
            empty={canEdit ? "No projects yet. Create one with “New project”." : "You are not a member of any project yet. Ask an admin to add you to one."}
          />
        )}
      </Panel>
    </>
  );
}
