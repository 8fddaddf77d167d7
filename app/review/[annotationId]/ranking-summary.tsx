import { strengthText } from "../../label/[projectId]/ranking-board";
import { isStrength } from "../../../server/annotation/ranking";

/**
 * A ranking in the letters of this page, best first: "A ≻ C = D ≻ B", with the preference
 * strength of each step when it is known (other annotators' and gold rankings have none here).
 */
export function RankingSummary({
  groups,
  strengths,
  labelOf,
  testId,
}: {
  groups: string[][];
  strengths?: readonly string[];
  labelOf: ReadonlyMap<string, string>;
  testId?: string;
}) {
  if (groups.length === 0) return <span className="text-sm text-slate-500">No ranking</span>;
  const text = groups.map((g) => g.map((id) => labelOf.get(id) ?? "?").join(" = ")).join(" ≻ ");
  return (
    <ol className="flex flex-wrap items-center gap-x-1 gap-y-1.5" aria-label={`Ranking, best first: ${text}`} data-testid={testId} data-ranking={text}>
      {groups.map((group, i) => {
        const s = strengths?.[i - 1];
        return (
          <li key={group.join()} className="flex items-center gap-1">
            {i > 0 && (
              <span className="flex flex-col items-center px-0.5 leading-none text-slate-400" aria-hidden>
                <span>≻</span>
                {s && isStrength(s) && <span className="text-[0.6rem]">{strengthText[s]}</span>}
              </span>
            )}
            <span className={`flex items-center gap-0.5 rounded px-1 py-0.5 ${group.length > 1 ? "bg-violet-100" : ""}`}>
              {group.map((id, j) => (
                <span key={id} className="flex items-center gap-0.5">
                  {j > 0 && <span className="text-xs text-violet-700">=</span>}
                  <span className="flex size-6 items-center justify-center rounded bg-slate-800 text-sm font-bold text-white">{labelOf.get(id) ?? "?"}</span>
                </span>
              ))}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
