"use client";

import { closestCenter, DndContext, PointerSensor, useSensor, useSensors, type DragEndEvent } from "@dnd-kit/core";
import { arrayMove, SortableContext, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { strengths, type Strength } from "../../../server/annotation/ranking";
import { excerpt } from "./excerpt";
import { boundaryKey, dividerId, flatten, groupsFromDrop, type Groups } from "./ranking-state";
import type { TaskResponse } from "./types";

export const strengthText: Record<Strength, string> = {
  negligible: "negligible",
  slight: "slight",
  clear: "clear",
  strong: "strong",
};

type Boundary = { kind: "none" } | { kind: "tie" } | { kind: "strength"; key: string; upperRank: number; value: Strength | undefined };

type ItemInfo = { response: TaskResponse; rank: number | null; tied: boolean; boundary: Boundary };


function StrengthPicker({ boundary, onChange }: { boundary: Extract<Boundary, { kind: "strength" }>; onChange: (s: Strength) => void }) {
  const name = `Preference strength between rank ${boundary.upperRank} and rank ${boundary.upperRank + 1}`;
  return (
    <div className="flex h-8 items-center gap-1.5 pl-7 text-xs">
      <span aria-hidden className={boundary.value ? "text-slate-400" : "font-medium text-amber-600"}>
        {boundary.upperRank} ≻ {boundary.upperRank + 1}
      </span>
      <div role="radiogroup" aria-label={name} className="flex gap-1">
        {strengths.map((s) => (
          <label key={s} className="pill pill-sm">
            <input
              type="radio"
              className="pill-input"
              name={`strength-${boundary.key}`}
              checked={boundary.value === s}
              onChange={() => onChange(s)}
              aria-label={s}
            />
            {strengthText[s]}
          </label>
        ))}
      </div>
    </div>
  );
}

function SortableRankItem({
  info,
  active,
  tiesAllowed,
  onActivate,
  onStrength,
  onToggleTie,
  onUnplace,
  onAppend,
}: {
  info: ItemInfo;
  active: boolean;
  tiesAllowed: boolean;
  onActivate: () => void;
  onStrength: (key: string, s: Strength) => void;
  onToggleTie: () => void;
  onUnplace: () => void;
  onAppend: () => void;
}) {
  const { response, rank, tied, boundary } = info;
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: response.id });
  const placed = rank !== null;
  const state = placed ? `${tied ? "tied at " : ""}rank ${rank}` : "not ranked";
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      className={`relative list-none ${isDragging ? "z-10 opacity-90" : ""}`}
    >
      {boundary.kind === "strength" && <StrengthPicker boundary={boundary} onChange={(s) => onStrength(boundary.key, s)} />}
      {boundary.kind === "tie" && (
        <div className="flex h-8 items-center pl-7 text-xs font-medium text-violet-700" aria-hidden>
          = tied with the response above
        </div>
      )}
      <div
        className={`flex items-stretch rounded-md border bg-white ${isDragging ? "shadow-lg" : "shadow-sm"} ${
          active ? "border-indigo-400 ring-2 ring-indigo-300" : placed ? "border-slate-300" : "border-dashed border-slate-300"
        }`}
      >
        <div
          ref={setActivatorNodeRef}
          {...attributes}
          {...listeners}
          id={`rank-item-${response.id}`}
          data-testid="rank-item"
          data-response-id={response.id}
          data-response-label={response.label}
          data-rank={rank ?? ""}
          aria-roledescription="rankable response"
          aria-label={`Response ${response.label}, ${state}`}
          onFocus={onActivate}
          // The drag listeners keep a click from focusing the card; the keys then act on nothing.
          onClick={(e) => e.currentTarget.focus()}
          className="flex min-w-0 flex-1 cursor-grab touch-none items-center gap-2 rounded-l-md px-2 py-1.5 outline-none focus-visible:bg-indigo-50 active:cursor-grabbing"
        >
          <span aria-hidden className="select-none text-slate-400">
            ⠿
          </span>
          <span
            aria-hidden
            data-testid="rank-position"
            className={`flex h-6 w-7 shrink-0 items-center justify-center rounded text-sm font-semibold tabular-nums ${
              placed ? (tied ? "bg-violet-100 text-violet-800" : "bg-indigo-100 text-indigo-800") : "border border-dashed border-slate-300"
            }`}
          >
            {placed ? rank : ""}
          </span>
          <span aria-hidden className="flex size-6 shrink-0 items-center justify-center rounded bg-slate-800 text-sm font-bold text-white">
            {response.label}
          </span>
          <span className="truncate text-sm text-slate-600">{excerpt(response.content)}</span>
        </div>
        <div className="flex shrink-0 items-center gap-0.5 pr-1">
          {placed ? (
            <>
              {tiesAllowed && (
                <button
                  type="button"
                  onClick={onToggleTie}
                  disabled={!tied && rank === 1}
                  aria-pressed={tied}
                  aria-label={tied ? `Untie response ${response.label}` : `Tie response ${response.label} with the one above`}
                  title="Tie with the response above (t)"
                  className="btn-icon"
                >
                  =
                </button>
              )}
              <button
                type="button"
                onClick={onUnplace}
                aria-label={`Remove response ${response.label} from the ranking`}
                title="Remove from the ranking (x)"
                className="btn-icon"
              >
                ×
              </button>
            </>
          ) : (
            <button type="button" onClick={onAppend} aria-label={`Rank response ${response.label} last`} title="Add at the bottom of the ranking" className="btn-icon">
              +
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

function Divider({ remaining }: { remaining: number }) {
  // Part of the sortable list so items can be dropped on either side of it, but never dragged.
  const { setNodeRef, transform, transition } = useSortable({ id: dividerId, disabled: { draggable: true, droppable: false } });
  return (
    <li ref={setNodeRef} style={{ transform: CSS.Translate.toString(transform), transition }} className="list-none py-2">
      <div className="flex items-center gap-2 text-xs text-slate-500">
        <span className="h-px flex-1 border-t border-dashed border-slate-300" />
        {remaining > 0 ? `Not ranked yet (${remaining}) — drag above this line` : "All responses ranked"}
        <span className="h-px flex-1 border-t border-dashed border-slate-300" />
      </div>
    </li>
  );
}

export function RankingBoard({
  responses,
  groups,
  chosenStrengths,
  tiesAllowed,
  activeId,
  onGroups,
  onStrength,
  onActivate,
  onToggleTie,
  onUnplace,
  onAppend,
}: {
  responses: TaskResponse[];
  groups: Groups;
  chosenStrengths: Record<string, Strength>;
  tiesAllowed: boolean;
  activeId: string | null;
  onGroups: (groups: Groups) => void;
  onStrength: (key: string, s: Strength) => void;
  onActivate: (id: string) => void;
  onToggleTie: (id: string) => void;
  onUnplace: (id: string) => void;
  onAppend: (id: string) => void;
}) {
  // A few pixels of travel before a drag starts, so clicks on the item still just focus it.
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }));
  const byId = new Map(responses.map((r) => [r.id, r]));
  const placed = new Set(groups.flat());
  const unplaced = responses.filter((r) => !placed.has(r.id)).map((r) => r.id);
  const flat = flatten(groups, unplaced);

  const infos = new Map<string, ItemInfo>();
  groups.forEach((group, g) =>
    group.forEach((id, i) => {
      const boundary: Boundary =
        i > 0
          ? { kind: "tie" }
          : g > 0
            ? { kind: "strength", key: boundaryKey(groups[g - 1]!, group), upperRank: g, value: chosenStrengths[boundaryKey(groups[g - 1]!, group)] }
            : { kind: "none" };
      infos.set(id, { response: byId.get(id)!, rank: g + 1, tied: group.length > 1, boundary });
    }),
  );
  for (const id of unplaced) infos.set(id, { response: byId.get(id)!, rank: null, tied: false, boundary: { kind: "none" } });

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    const from = flat.indexOf(String(active.id));
    const to = flat.indexOf(String(over.id));
    if (from < 0 || to < 0) return;
    onGroups(groupsFromDrop(arrayMove(flat, from, to), groups, String(active.id)));
  };

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      onDragEnd={onDragEnd}
      accessibility={{
        screenReaderInstructions: {
          draggable: "Drag with the mouse, or focus a response and press a number key to put it at that rank; arrow keys move it, t ties it with the one above.",
        },
      }}
    >
      <SortableContext items={flat} strategy={verticalListSortingStrategy}>
        <ol aria-label="Ranking, best first" className="space-y-1">
          {flat.map((id) =>
            id === dividerId ? (
              <Divider key={id} remaining={unplaced.length} />
            ) : (
              <SortableRankItem
                key={id}
                info={infos.get(id)!}
                active={activeId === id}
                tiesAllowed={tiesAllowed}
                onActivate={() => onActivate(id)}
                onStrength={onStrength}
                onToggleTie={() => onToggleTie(id)}
                onUnplace={() => onUnplace(id)}
                onAppend={() => onAppend(id)}
              />
            ),
          )}
        </ol>
      </SortableContext>
    </DndContext>
  );
}
