"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { TUpdateProjectInput } from "../../../../server/projects/project.schema";
import { useTRPC } from "../../../trpc/client";

/**
 * A settings panel's save: `submit` sends the changes when the draft has no problems, `saved`
 * says the last one went through until the draft changes again (`edited`).
 */
export function useProjectSave(projectId: string) {
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
  const submit = (e: React.FormEvent, problems: string[], changes: () => TUpdateProjectInput["changes"]) => {
    e.preventDefault();
    setSaved(false);
    if (problems.length === 0) save.mutate({ projectId, changes: changes() });
  };
  return { save, saved, submit, edited: () => setSaved(false) };
}
