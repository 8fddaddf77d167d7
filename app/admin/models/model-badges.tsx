import { decimal } from "../../components/format";

export function Headline({ items, caveats = [] }: { items: { name: string; value: number }[]; caveats?: string[] }) {
  if (items.length === 0) return <span className="text-slate-400">–</span>;
  return (
    <span className="space-x-2">
      {items.map((h) => (
        <span key={h.name} className="whitespace-nowrap">
          {h.name} <span className="font-mono">{decimal(h.value, 3)}</span>
        </span>
      ))}
      <EvalCaveats caveats={caveats} />
    </span>
  );
}

/** What the numbers next to it do not say by themselves: too few held-out pairs, at chance. */
export function EvalCaveats({ caveats }: { caveats: string[] }) {
  if (caveats.length === 0) return null;
  return (
    <span className="block space-y-0.5 text-xs text-amber-800" data-testid="eval-caveats">
      {caveats.map((c) => (
        <span key={c} className="block">
          ⚠ {c}
        </span>
      ))}
    </span>
  );
}

export function CurrentPolicyBadge({ project }: { project: { id: string; name: string } }) {
  return (
    <span data-testid="current-policy-badge" className="mr-1 inline-block rounded bg-emerald-100 px-2 py-0.5 text-xs text-emerald-800">
      current policy · {project.name}
    </span>
  );
}

/** "checkpoint · step N" for a version saved on a run's way, and "pruned" once its folder is gone. */
export function CheckpointBadge({ model }: { model: { checkpointStep: number | null; prunedAt: Date | string | null } }) {
  if (model.checkpointStep === null) return null;
  return (
    <span data-testid="checkpoint-badge" className="mr-1 inline-block rounded bg-sky-100 px-2 py-0.5 text-xs text-sky-800">
      checkpoint · step {model.checkpointStep}
      {model.prunedAt && <span className="font-medium text-amber-800">{" · pruned"}</span>}
    </span>
  );
}

/** Data it learned from was deleted: it should be retrained on a rebuilt snapshot. */
export function RetrainBadge({ model }: { model: { retrainFlaggedAt: Date | string | null; retrainReason: string | null } }) {
  if (!model.retrainFlaggedAt) return null;
  return (
    <span data-testid="retrain-badge" title={model.retrainReason ?? undefined} className="mr-1 inline-block rounded bg-rose-100 px-2 py-0.5 text-xs text-rose-800">
      retrain: trained on deleted data
    </span>
  );
}
