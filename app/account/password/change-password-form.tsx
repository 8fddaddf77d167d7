"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ErrorText } from "../../components/panel";
import { useTRPC } from "../../trpc/client";

export function ChangePasswordForm({ next }: { next: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [mismatch, setMismatch] = useState<string | null>(null);
  const change = useMutation(
    trpc.me.changePassword.mutationOptions({
      onSuccess: () => {
        router.push(next);
        router.refresh();
      },
    }),
  );
  return (
    <form
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const newPassword = String(f.get("newPassword") ?? "");
        if (newPassword !== String(f.get("repeat") ?? "")) {
          setMismatch("The two new passwords differ");
          return;
        }
        setMismatch(null);
        change.mutate({ currentPassword: String(f.get("currentPassword") ?? ""), newPassword });
      }}
    >
      <label className="block space-y-1">
        <span className="text-sm font-medium">Current password</span>
        <input name="currentPassword" type="password" required autoComplete="current-password" className="w-full rounded border border-slate-300 px-3 py-2" />
      </label>
      <label className="block space-y-1">
        <span className="text-sm font-medium">New password (at least 12 characters)</span>
        <input name="newPassword" type="password" required minLength={12} autoComplete="new-password" className="w-full rounded border border-slate-300 px-3 py-2" />
      </label>
      <label className="block space-y-1">
        <span className="text-sm font-medium">New password again</span>
        <input name="repeat" type="password" required minLength={12} autoComplete="new-password" className="w-full rounded border border-slate-300 px-3 py-2" />
      </label>
      <ErrorText message={mismatch ?? change.error?.message} />
      <button type="submit" disabled={change.isPending} className="btn btn-primary w-full">
        {change.isPending ? "Saving…" : "Save password"}
      </button>
    </form>
  );
}
