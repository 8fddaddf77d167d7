import { decimal } from "../../components/format";

export function Headline({ items }: { items: { name: string; value: number }[] }) {
  if (items.length === 0) return <span className="text-slate-400">–</span>;
  return (
    <span className="space-x-2">
      {items.map((h) => (
        <span key={h.name} className="whitespace-nowrap">
          {h.name} <span className="font-mono">{decimal(h.value, 3)}</span>
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
