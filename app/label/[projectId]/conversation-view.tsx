"use client";

import { Markdown } from "../../components/markdown";
import type { TaskMessage } from "./types";

const roleName: Record<string, string> = { system: "System", user: "User", assistant: "Assistant" };

function Message({ message, judged = false }: { message: TaskMessage; judged?: boolean }) {
  const tone =
    message.role === "system" ? "border-slate-300 bg-slate-100" : message.role === "assistant" ? "border-slate-200 bg-white" : "border-sky-200 bg-sky-50/60";
  return (
    <div
      className={`rounded-lg border px-4 py-3 ${judged ? "border-indigo-300 bg-indigo-50/70 ring-1 ring-indigo-200" : tone}`}
      data-testid={judged ? "judged-turn" : "earlier-turn"}
    >
      <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
        {roleName[message.role] ?? message.role}
        {judged && <span className="ml-2 normal-case tracking-normal text-indigo-700">· the turn being judged</span>}
      </p>
      <Markdown content={message.content} />
    </div>
  );
}

/** Earlier turns fold away so the judged turn and the responses stay on screen. */
export function ConversationView({ messages }: { messages: TaskMessage[] }) {
  const judged = messages[messages.length - 1];
  const earlier = messages.slice(0, -1);
  return (
    <section aria-label="Conversation" className="space-y-2">
      {earlier.length > 0 && (
        <details className="group rounded-lg border border-slate-200 bg-white">
          <summary className="cursor-pointer select-none px-4 py-2 text-sm text-slate-600 hover:bg-slate-50">
            <span className="group-open:hidden">Show</span>
            <span className="hidden group-open:inline">Hide</span> {earlier.length} earlier message{earlier.length > 1 ? "s" : ""}
          </summary>
          <div className="max-h-[50vh] space-y-2 overflow-y-auto border-t border-slate-200 p-2">
            {earlier.map((m, i) => (
              <Message key={i} message={m} />
            ))}
          </div>
        </details>
      )}
      {judged && (
        <div className="max-h-[40vh] overflow-y-auto rounded-lg">
          <Message message={judged} judged />
        </div>
      )}
    </section>
  );
}
