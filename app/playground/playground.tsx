"use client";

import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Markdown } from "../components/markdown";
import { AttemptForm } from "../red-team/attempt-form";
import { ErrorText, Panel } from "../components/panel";
import {
  answerStats,
  exportConversations,
  newConversation,
  withAnswerStats,
  withAnswerText,
  withoutLastTurn,
  withSystemPrompt,
  withUserTurn,
  type AnswerStats,
  type Conversation,
} from "./conversation";

type ServedModel = { modelVersionId: string; name: string; kind: string; jobId: string; ready: boolean };
type StreamEvent = { type: "delta"; text: string } | { type: "done"; finishReason: string | null; completionTokens: number | null } | { type: "error"; message: string };

async function errorOf(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return body?.error?.message ?? `The request failed (${res.status})`;
}

/** Sends one column's conversation and streams the answer into it through `update`. */
async function streamAnswer(conversation: Conversation, settings: { maxTokens: number; temperature: number }, update: (f: (c: Conversation) => Conversation) => void): Promise<string | null> {
  const sentAt = performance.now();
  const res = await fetch("/api/playground/chat", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ modelVersionId: conversation.modelVersionId, messages: conversation.messages, ...settings }),
  }).catch(() => null);
  if (!res) return "The server could not be reached.";
  if (!res.ok || !res.body) return errorOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let firstAt: number | null = null;
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return "The answer ended early.";
    buffer += value;
    let at;
    while ((at = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as StreamEvent;
      if (event.type === "delta") {
        firstAt ??= performance.now();
        update((c) => withAnswerText(c, event.text));
      } else if (event.type === "done") {
        const stats = answerStats({ sentAt, firstAt, endAt: performance.now(), completionTokens: event.completionTokens, finishReason: event.finishReason });
        update((c) => withAnswerStats(c, stats));
        return null;
      } else {
        return event.message;
      }
    }
  }
}

function StatsLine({ stats }: { stats: AnswerStats | undefined }) {
  if (!stats) return null;
  const parts = [
    stats.firstTokenMs === null ? null : `first token ${Math.round(stats.firstTokenMs)} ms`,
    stats.tokensPerSecond === null ? null : `${stats.tokensPerSecond.toFixed(1)} tokens/s`,
    stats.completionTokens === null ? null : `${stats.completionTokens} tokens`,
    stats.finishReason === "length" ? "cut at max tokens" : null,
  ].filter(Boolean);
  return (
    <p className="text-xs text-slate-500" data-testid="answer-stats">
      {parts.join(" · ")}
    </p>
  );
}

function Column({ index, models, conversation, onModel, error }: { index: number; models: ServedModel[]; conversation: Conversation; onModel: (id: string) => void; error: string | null }) {
  return (
    <div className="min-w-0 flex-1 space-y-3" data-testid={`column-${index}`}>
      <label className="block text-sm">
        Model {index + 1}
        <select
          aria-label={`Model ${index + 1}`}
          className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm"
          value={conversation.modelVersionId}
          onChange={(e) => onModel(e.target.value)}
        >
          <option value="">Choose a served model</option>
          {models.map((m) => (
            <option key={m.modelVersionId} value={m.modelVersionId} disabled={!m.ready}>
              {m.name} ({m.kind}){m.ready ? "" : " — starting"}
            </option>
          ))}
        </select>
      </label>
      <ol className="space-y-2">
        {conversation.messages.map((m, i) =>
          m.role === "system" ? null : (
            <li key={i} data-testid={`${m.role}-message`} className={`rounded border px-3 py-2 text-sm ${m.role === "user" ? "border-slate-200 bg-slate-50" : "border-blue-100 bg-white"}`}>
              <div className="text-xs font-medium text-slate-500">{m.role === "user" ? "You" : "Model"}</div>
              {m.role === "user" ? <p className="whitespace-pre-wrap">{m.content}</p> : <Markdown content={m.content} />}
              {m.role === "assistant" && <StatsLine stats={conversation.stats[i]} />}
            </li>
          ),
        )}
      </ol>
      <ErrorText message={error} />
    </div>
  );
}

export function Playground({ maxTokensLimit, initialModelId = "", campaignId }: { maxTokensLimit: number; initialModelId?: string; campaignId?: string }) {
  const models = useQuery({
    queryKey: ["playground-models"],
    queryFn: async () => {
      const res = await fetch("/api/playground/models");
      if (!res.ok) throw new Error(await errorOf(res));
      return ((await res.json()) as { models: ServedModel[] }).models;
    },
    refetchInterval: 5000,
  });
  const [sideBySide, setSideBySide] = useState(false);
  const [systemPrompt, setSystemPrompt] = useState("");
  const [maxTokens, setMaxTokens] = useState(Math.min(256, maxTokensLimit));
  const [temperature, setTemperature] = useState(0.7);
  const [draft, setDraft] = useState("");
  const [columns, setColumns] = useState<Conversation[]>([newConversation(initialModelId), newConversation("")]);
  const [attemptFrom, setAttemptFrom] = useState(0);
  const [errors, setErrors] = useState<(string | null)[]>([null, null]);
  const [busy, setBusy] = useState(false);
  const exportLink = useRef<HTMLAnchorElement>(null);

  const shown = sideBySide ? [0, 1] : [0];
  const ready = shown.filter((i) => columns[i]!.modelVersionId);
  const update = (i: number) => (f: (c: Conversation) => Conversation) => setColumns((cs) => cs.map((c, j) => (j === i ? f(c) : c)));

  async function send() {
    const text = draft.trim();
    if (!text || ready.length === 0) return;
    setDraft("");
    setBusy(true);
    setErrors([null, null]);
    // The same user turn goes to each column; each keeps its own history.
    const turns = ready.map((i) => withUserTurn(withSystemPrompt(columns[i]!, systemPrompt), text));
    setColumns((cs) => cs.map((c, j) => (ready.includes(j) ? turns[ready.indexOf(j)]! : c)));
    await Promise.all(
      ready.map(async (i, k) => {
        const error = await streamAnswer(turns[k]!, { maxTokens, temperature }, update(i));
        if (error) {
          update(i)(withoutLastTurn);
          setErrors((es) => es.map((e, j) => (j === i ? error : e)));
        }
      }),
    );
    setBusy(false);
  }

  function download() {
    const blob = new Blob([exportConversations(shown.map((i) => columns[i]!))], { type: "application/json" });
    const link = exportLink.current!;
    link.href = URL.createObjectURL(blob);
    link.download = "playground-conversation.json";
    link.click();
  }

  return (
    <Panel
      title="Chat with served models"
      actions={
        <span className="flex items-center gap-3 text-sm">
          <label className="flex items-center gap-1">
            <input type="checkbox" checked={sideBySide} onChange={(e) => setSideBySide(e.target.checked)} /> Side by side
          </label>
          <button type="button" className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-50" onClick={() => setColumns(columns.map((c) => newConversation(c.modelVersionId)))}>
            New conversation
          </button>
          <button type="button" className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-50" onClick={download}>
            Export JSON
          </button>
          <a ref={exportLink} className="hidden" aria-hidden="true" />
        </span>
      }
    >
      <ErrorText message={models.error?.message} />
      {models.data?.length === 0 && <p className="text-sm text-slate-500">No model is being served. An admin starts one from Models → a policy → Serve.</p>}
      <div className="flex flex-wrap gap-4 text-sm">
        <label className="min-w-64 flex-1">
          System prompt (optional)
          <textarea className="mt-1 block w-full rounded border border-slate-300 px-2 py-1" rows={2} value={systemPrompt} onChange={(e) => setSystemPrompt(e.target.value)} />
        </label>
        <label>
          Max tokens
          <input
            type="number"
            min={1}
            max={maxTokensLimit}
            className="mt-1 block w-24 rounded border border-slate-300 px-2 py-1"
            value={maxTokens}
            onChange={(e) => setMaxTokens(Math.max(1, Math.min(maxTokensLimit, Number(e.target.value) || 1)))}
          />
        </label>
        <label>
          Temperature
          <input type="number" min={0} max={2} step={0.1} className="mt-1 block w-24 rounded border border-slate-300 px-2 py-1" value={temperature} onChange={(e) => setTemperature(Math.max(0, Math.min(2, Number(e.target.value) || 0)))} />
        </label>
      </div>
      <div className="flex gap-4">
        {shown.map((i) => (
          <Column
            key={i}
            index={i}
            models={models.data ?? []}
            conversation={columns[i]!}
            error={errors[i] ?? null}
            onModel={(id) => {
              setColumns((cs) => cs.map((c, j) => (j === i ? newConversation(id) : c)));
              setErrors((es) => es.map((e, j) => (j === i ? null : e)));
            }}
          />
        ))}
      </div>
      <form
        className="flex items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label className="flex-1 text-sm">
          Your message
          <textarea
            aria-label="Your message"
            className="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
            rows={3}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
          />
        </label>
        <button type="submit" disabled={busy || !draft.trim() || ready.length === 0} className="rounded bg-slate-900 px-4 py-1.5 text-sm text-white hover:bg-slate-700 disabled:opacity-50">
          {busy ? "Answering…" : "Send"}
        </button>
      </form>
      <div className="space-y-2">
        {sideBySide && (
          <label className="text-sm">
            Save as an attempt the conversation of{" "}
            <select aria-label="Attempt from" className="rounded border border-slate-300 px-2 py-1" value={attemptFrom} onChange={(e) => setAttemptFrom(Number(e.target.value))}>
              <option value={0}>Model 1</option>
              <option value={1}>Model 2</option>
            </select>
          </label>
        )}
        <AttemptForm
          conversation={columns[sideBySide ? attemptFrom : 0]!.modelVersionId ? { modelVersionId: columns[sideBySide ? attemptFrom : 0]!.modelVersionId, messages: columns[sideBySide ? attemptFrom : 0]!.messages } : null}
          initialCampaignId={campaignId}
        />
      </div>
    </Panel>
  );
}
