"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ModalDialog } from "../components/modal-dialog";
import { ErrorText, Panel } from "../components/panel";
import { useTRPC } from "../trpc/client";

const roleOptions = ["annotator", "reviewer", "admin"] as const;

function Field({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="space-y-1 text-sm">
      <label htmlFor={id} className="block font-medium">
        {label}
      </label>
      {children}
    </div>
  );
}

export function UsersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const projects = useQuery(trpc.projects.all.queryOptions());
  const activeProjects = projects.data?.filter((p) => p.archivedAt === null) ?? [];
  const [inviteRole, setInviteRole] = useState<(typeof roleOptions)[number]>("annotator");
  const me = useQuery(trpc.me.get.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [created, setCreated] = useState<{ email: string; password: string | null } | null>(null);
  // The generated password is shown once, and only until the next action of this panel.
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDeactivate, setConfirmDeactivate] = useState<{ id: string; email: string } | null>(null);
  const clearMessages = () => {
    setCreated(null);
    setNotice(null);
  };
  const invite = useMutation(
    trpc.users.invite.mutationOptions({
      onMutate: clearMessages,
      onSuccess: (res) => {
        setCreated({ email: res.user.email, password: res.generatedPassword });
        void invalidate();
      },
    }),
  );
  const deactivate = useMutation(
    trpc.users.deactivate.mutationOptions({
      onMutate: clearMessages,
      onSuccess: (_res, input) => {
        setNotice(`${users.data?.find((u) => u.id === input.userId)?.email ?? "The user"} is deactivated: signed out, and their leased tasks went back to the pool.`);
        setConfirmDeactivate(null);
        void invalidate();
      },
    }),
  );
  const reactivate = useMutation(
    trpc.users.reactivate.mutationOptions({
      onMutate: clearMessages,
      onSuccess: (_res, input) => {
        setNotice(`${users.data?.find((u) => u.id === input.userId)?.email ?? "The user"} can sign in again.`);
        void invalidate();
      },
    }),
  );
  const setRole = useMutation(
    trpc.users.setRole.mutationOptions({
      onMutate: clearMessages,
      onSuccess: (_res, input) => {
        setNotice(`${users.data?.find((u) => u.id === input.userId)?.email ?? "The user"} is now ${/^[aeiou]/.test(input.role) ? "an" : "a"} ${input.role}.`);
        void invalidate();
      },
    }),
  );

  const setRedTeamer = useMutation(
    trpc.users.setRedTeamer.mutationOptions({
      onMutate: clearMessages,
      onSuccess: (_res, input) => {
        const email = users.data?.find((u) => u.id === input.userId)?.email ?? "The user";
        setNotice(input.redTeamer ? `${email} may now red-team (the Playground and campaigns).` : `${email} no longer has red-teaming access.`);
        void invalidate();
      },
    }),
  );

  return (
    <Panel title="Users">
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const password = String(f.get("password") ?? "");
          invite.mutate({
            email: String(f.get("email") ?? ""),
            name: String(f.get("name") ?? ""),
            role: inviteRole,
            password: password || undefined,
            projectIds: inviteRole === "admin" ? [] : f.getAll("projectIds").map(String),
          });
        }}
      >
        <Field id="invite-email" label="Email">
          <input id="invite-email" name="email" type="email" required className="rounded border border-slate-300 px-2 py-1" />
        </Field>
        <Field id="invite-name" label="Name">
          <input id="invite-name" name="name" required className="rounded border border-slate-300 px-2 py-1" />
        </Field>
        <Field id="invite-role" label="Role">
          <select
            id="invite-role"
            name="role"
            value={inviteRole}
            onChange={(e) => setInviteRole(e.target.value as (typeof roleOptions)[number])}
            className="rounded border border-slate-300 px-2 py-1"
          >
            {roleOptions.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <Field id="invite-password" label="Password (optional)">
          <input
            id="invite-password"
            name="password"
            type="password"
            minLength={12}
            title="At least 12 characters, or leave empty to generate one"
            placeholder="generated if empty"
            className="rounded border border-slate-300 px-2 py-1"
          />
        </Field>
        <button type="submit" disabled={invite.isPending} className="rounded bg-slate-900 px-3 py-1.5 text-sm text-white disabled:opacity-50">
          Invite user
        </button>
        {inviteRole !== "admin" && activeProjects.length > 0 && (
          <fieldset className="w-full text-sm">
            <legend className="font-medium">Projects they work on</legend>
            <p className="text-slate-500">Annotators and reviewers see only their projects; admins see all. You can change this later on each project&apos;s page.</p>
            <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
              {activeProjects.map((p) => (
                <label key={p.id} className="flex items-center gap-1.5">
                  <input type="checkbox" name="projectIds" value={p.id} />
                  {p.name}
                </label>
              ))}
            </div>
          </fieldset>
        )}
      </form>
      <ErrorText message={invite.error?.message ?? deactivate.error?.message ?? reactivate.error?.message ?? setRole.error?.message ?? setRedTeamer.error?.message} />
      {notice && (
        <p role="status" className="rounded bg-green-50 px-3 py-2 text-sm text-green-800" data-testid="users-notice">
          {notice}
        </p>
      )}
      {created && (
        <p className="rounded bg-green-50 px-3 py-2 text-sm text-green-800" data-testid="invite-result">
          Created {created.email}.{" "}
          {created.password ? (
            <>
              Their password, shown only now: <code className="font-mono">{created.password}</code>
            </>
          ) : (
            "They can sign in with the password you chose."
          )}
        </p>
      )}
      <table className="w-full text-left text-sm">
        <thead className="border-b text-slate-500">
          <tr>
            <th className="py-2">Email</th>
            <th>Name</th>
            <th>Role</th>
            <th title="May attack models in the playground and record red-team attempts">Red team</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.data?.map((u) => (
            <tr key={u.id} className="border-b last:border-0">
              <td className="py-2">{u.email}</td>
              <td>{u.name}</td>
              <td>
                <select
                  aria-label={`Role of ${u.email}`}
                  value={u.role}
                  onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as (typeof roleOptions)[number] })}
                  className="rounded border border-slate-300 px-1"
                >
                  {roleOptions.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Red-teaming access of ${u.email}`}
                  checked={u.redTeamer}
                  onChange={(e) => setRedTeamer.mutate({ userId: u.id, redTeamer: e.target.checked })}
                />
              </td>
              <td>{u.active ? "active" : "deactivated"}</td>
              <td className="text-right">
                {u.id === me.data?.id ? (
                  <span className="text-slate-400">you</span>
                ) : u.active ? (
                  <button type="button" className="text-red-700 underline" onClick={() => setConfirmDeactivate({ id: u.id, email: u.email })}>
                    Deactivate…
                  </button>
                ) : (
                  <button type="button" className="text-blue-700 underline" onClick={() => reactivate.mutate({ userId: u.id })}>
                    Reactivate
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {users.isLoading && <p className="text-sm text-slate-500">Loading users…</p>}
      <ModalDialog open={confirmDeactivate !== null} onClose={() => setConfirmDeactivate(null)} title={`Deactivate ${confirmDeactivate?.email ?? ""}?`}>
        <p className="text-sm text-slate-600">They are signed out at once and cannot sign in; their leased tasks go back to the pool and their API keys stop working. Their labels stay. You can reactivate them later.</p>
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => setConfirmDeactivate(null)}>
            Cancel
          </button>
          <button type="button" className="btn-danger" disabled={deactivate.isPending} onClick={() => confirmDeactivate && deactivate.mutate({ userId: confirmDeactivate.id })}>
            {deactivate.isPending ? "Deactivating…" : "Deactivate"}
          </button>
        </div>
      </ModalDialog>
      <ErrorText message={users.error?.message} />
    </Panel>
  );
}
