"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ModalDialog } from "../../../components/modal-dialog";
import { ErrorText, Panel } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";
import { checkProjectSettings, ProjectSettingsFields, readProjectSettings, serverFieldErrors, type FieldErrors } from "../project-settings-fields";
import type { ProjectSettings } from "../types";

/** Admin-only: edit the settings, archive or unarchive. */
export function ProjectSettingsPanel({ project, hasTasks }: { project: ProjectSettings; hasTasks: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
  const update = useMutation(
    trpc.projects.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refresh();
      },
    }),
  );
  const archive = useMutation(
    trpc.projects.archive.mutationOptions({
      onSuccess: async () => {
        setConfirmArchive(false);
        await refresh();
      },
    }),
  );
  const unarchive = useMutation(trpc.projects.unarchive.mutationOptions({ onSuccess: refresh }));
  const archived = project.archivedAt !== null;
  const [checked, setChecked] = useState<FieldErrors>({});
  const errors = { ...serverFieldErrors(update.error?.data), ...checked };
  // The update input nests the settings under `changes`; the form has no such level.
  const updateError = Object.keys(errors).length > 0 ? "Some fields need attention: see the messages beside them." : update.error?.message.replaceAll("changes.", "");

  return (
    <Panel
      title="Settings"
      actions={
        archived ? (
          <button type="button" className="btn" disabled={unarchive.isPending} onClick={() => unarchive.mutate({ projectId: project.id })}>
            Unarchive
          </button>
        ) : (
          <button type="button" className="btn text-red-700" onClick={() => setConfirmArchive(true)}>
            Archive…
          </button>
        )
      }
    >
      <form
        noValidate
        // Remounted after each save so the fields show what the server stored.
        key={project.updatedAt.getTime()}
        className="space-y-4"
        onChange={() => setSaved(false)}
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          const changes = readProjectSettings(new FormData(e.currentTarget));
          const found = checkProjectSettings(changes);
          setChecked(found);
          update.reset();
          if (Object.keys(found).length === 0) update.mutate({ projectId: project.id, changes });
        }}
      >
        <ProjectSettingsFields
          idPrefix="settings"
          initial={project}
          shapeLocked={hasTasks}
          disabled={update.isPending}
          errors={errors}
        />
        <ErrorText message={updateError ?? unarchive.error?.message} />
        <div className="flex items-center justify-end gap-3">
          {saved && (
            <span role="status" className="text-sm text-green-700">
              Saved (guidelines v{project.guidelinesVersion}).
            </span>
          )}
          <button type="submit" className="btn-primary" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save settings"}
          </button>
        </div>
      </form>
      <ModalDialog open={confirmArchive} onClose={() => setConfirmArchive(false)} title="Archive this project?">
        <p className="text-sm text-slate-600">
          Annotators stop getting its tasks and it leaves their queue; tasks leased right now go back to the pool. Nothing is deleted and you can unarchive it at
          any time.
        </p>
        <ErrorText message={archive.error?.message} />
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => setConfirmArchive(false)}>
            Cancel
          </button>
          <button type="button" className="btn-danger" disabled={archive.isPending} onClick={() => archive.mutate({ projectId: project.id })}>
            {archive.isPending ? "Archiving…" : "Archive project"}
          </button>
        </div>
      </ModalDialog>
    </Panel>
  );
}
