"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { ErrorText } from "../../../components/panel";
import { useTRPC } from "../../../trpc/client";

/** Saves project settings (projects.update) and remembers that it did, until the draft changes. */
export function useSaveProjectSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.projects.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
      },
    }),
  );
  return { save, saved, setSaved };
}

/** A settings form that is checked by the panel, not the browser; `onSave` runs on submit. */
export function SettingsForm({ className, onSave, children }: { className: string; onSave: () => void; children: ReactNode }) {
  return (
    <form
      noValidate
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      {children}
    </form>
  );
}

/** The end of a project settings form: what is wrong with the draft, the server's refusal, "saved", and the buttons. */
export function SettingsFormFooter({
  problems,
  error,
  saved,
  savedText,
  pending,
  canSave,
  submitLabel,
  children,
}: {
  problems: string[];
  error: string | undefined;
  saved: boolean;
  savedText: string;
  pending: boolean;
  canSave: boolean;
  submitLabel: string;
  /** More buttons, before the submit button. */
  children?: ReactNode;
}) {
  return (
    <>
      {problems.length > 0 && (
        <ul className="list-inside list-disc text-sm text-red-700" role="alert">
          {problems.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      <ErrorText message={error?.replaceAll("changes.", "")} />
      <div className="flex items-center justify-end gap-3">
        {saved && !pending && (
          <span role="status" className="text-sm text-green-700">
            {savedText}
          </span>
        )}
        {children}
        <button type="submit" className="btn-primary" disabled={!canSave || pending}>
          {pending ? "Saving…" : submitLabel}
        </button>
      </div>
    </>
  );
}
