// Pieces the runs list and the run page share: progress, elapsed time and ETA of a run.
import { duration, percent } from "../../components/format";

export const activeStates = ["queued", "running"] as const;

export function isActive(state: string): boolean {
  return (activeStates as readonly string[]).includes(state);
}

type Timing = { state: string; progress: number; createdAt: Date; startedAt: Date | null; finishedAt: Date | null };

/** Elapsed since the (latest attempt's) start; ETA extrapolated linearly from progress. */
export function runTiming(run: Timing, now: number) {
  if (!run.startedAt) return { elapsed: null, eta: null };
  const end = run.finishedAt?.getTime() ?? now;
  const elapsed = Math.max(0, end - run.startedAt.getTime());
  const eta = run.state === "running" && run.progress > 0.01 ? (elapsed * (1 - run.progress)) / run.progress : null;
  return { elapsed, eta };
}

export function ProgressBar({ progress, state }: { progress: number; state: string }) {
  const colour = state === "failed" ? "bg-red-500" : state === "cancelled" ? "bg-slate-400" : state === "succeeded" ? "bg-green-600" : "bg-blue-600";
  return (
    <div className="flex items-center gap-2">
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(progress * 100)}
        className="h-2 w-32 overflow-hidden rounded bg-slate-200"
        data-testid="run-progress"
      >
        <div className={`h-full ${colour}`} style={{ width: `${Math.round(progress * 100)}%` }} />
      </div>
      <span className="text-xs text-slate-600">{percent(progress)}</span>
    </div>
  );
}

const stateColour: Record<string, string> = {
  queued: "bg-slate-100 text-slate-700",
  running: "bg-blue-100 text-blue-800",
  succeeded: "bg-green-100 text-green-800",
  failed: "bg-red-100 text-red-800",
  cancelled: "bg-amber-100 text-amber-800",
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span data-testid="run-state" className={`rounded px-2 py-0.5 text-xs font-medium ${stateColour[state] ?? ""}`}>
      {state}
    </span>
  );
}

export function Timing({ run, now }: { run: Timing; now: number }) {
  const { elapsed, eta } = runTiming(run, now);
  return (
    <span className="text-xs text-slate-600">
      {duration(elapsed)}
      {eta !== null && ` · ETA ${duration(eta)}`}
    </span>
  );
}

type ServeLoad = { waiting: number; running: number; requests_served: number; completion_tokens: number };
type ServeReport = { url: string | null; backend?: string; load?: ServeLoad | null };

function serveReport(result: unknown): ServeReport | null {
  if (!result || typeof result !== "object" || !("url" in result)) return null;
  return result as ServeReport;
}

/** A serve job's model server: where it listens (admins only see runs) and how busy it is. */
export function ServeStatus({ result, state }: { result: unknown; state: string }) {
  const report = serveReport(result);
  if (state !== "running") return <span className="text-xs text-slate-500">{state === "queued" ? "waiting for a worker" : "not serving"}</span>;
  if (!report?.url) return <span className="text-xs text-slate-500">loading the model…</span>;
  const load = report.load;
  return (
    <span className="text-xs text-slate-600" data-testid="serve-status">
      <span className="font-mono">{report.url}</span>
      {report.backend && ` (${report.backend})`}
      {load && ` · ${load.running} running, ${load.waiting} waiting · ${load.requests_served} served, ${load.completion_tokens} tokens`}
    </span>
  );
}
