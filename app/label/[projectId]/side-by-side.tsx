"use client";

import { diffWords, type ChangeObject } from "diff";
import { useMemo, useRef, useState } from "react";
import type { TaskResponse } from "./types";

export type CardSlot = {
  body?: React.ReactNode;
  scrollRef: React.Ref<HTMLDivElement>;
  onScroll: () => void;
  heightClass: string;
};

// Above this many differing tokens the pair is not "near-identical" and a diff would be noise;
// the cap also bounds the O(N·D) diff time on long responses.
const maxEditLength = 400;
const similarEnough = 0.5;

function wordDiff(a: string, b: string): { changes: ChangeObject<string>[]; similarity: number } | null {
  const changes = diffWords(a, b, { maxEditLength });
  if (!changes) return null;
  const same = changes.filter((c) => !c.added && !c.removed).reduce((n, c) => n + c.value.length, 0);
  return { changes, similarity: (2 * same) / Math.max(1, a.length + b.length) };
}

function DiffBody({ changes, side }: { changes: ChangeObject<string>[]; side: "left" | "right" }) {
  return (
    <div className="whitespace-pre-wrap break-words font-sans text-[0.95rem] leading-relaxed">
      {changes.map((c, i) => {
        if (side === "left" && c.added) return null;
        if (side === "right" && c.removed) return null;
        if (c.removed) return <del key={i} className="rounded-sm bg-red-100 text-red-900 decoration-red-400">{c.value}</del>;
        if (c.added) return <ins key={i} className="rounded-sm bg-green-100 text-green-900 no-underline">{c.value}</ins>;
        return <span key={i}>{c.value}</span>;
      })}
    </div>
  );
}

/**
 * Two responses next to each other. Scrolling one scrolls the other to the same relative place,
 * so long answers can be read paragraph by paragraph; near-identical pairs get a word diff.
 */
export function SideBySide({
  left,
  right,
  renderCard,
}: {
  left: TaskResponse;
  right: TaskResponse;
  renderCard: (response: TaskResponse, slot: CardSlot) => React.ReactNode;
}) {
  const leftRef = useRef<HTMLDivElement>(null);
  const rightRef = useRef<HTMLDivElement>(null);
  // The scroll we caused on the other pane, so its echo event is not mirrored back.
  const echo = useRef<{ el: HTMLElement; top: number } | null>(null);
  const [sync, setSync] = useState(true);
  const [showDiff, setShowDiff] = useState(false);
  const diff = useMemo(() => wordDiff(left.content, right.content), [left.content, right.content]);
  const diffable = diff !== null && diff.similarity >= similarEnough && left.content !== right.content;

  const follow = (src: HTMLDivElement | null, dst: HTMLDivElement | null) => {
    if (!sync || !src || !dst) return;
    if (echo.current?.el === src && Math.abs(echo.current.top - src.scrollTop) < 2) {
      echo.current = null;
      return;
    }
    const ratio = src.scrollTop / Math.max(1, src.scrollHeight - src.clientHeight);
    const top = Math.round(ratio * (dst.scrollHeight - dst.clientHeight));
    if (Math.abs(dst.scrollTop - top) < 2) return;
    echo.current = { el: dst, top };
    dst.scrollTop = top;
  };

  const heightClass = "max-h-[min(55vh,40rem)]";
  const diffOn = diffable && showDiff && diff !== null;
  return (
    <div className="space-y-2">
      <div className="flex h-7 items-center gap-4 text-sm text-slate-600">
        <label className="flex items-center gap-1.5">
          <input type="checkbox" checked={sync} onChange={(e) => setSync(e.target.checked)} className="accent-indigo-600" />
          Synchronise scrolling
        </label>
        {diffable && (
          <label className="flex items-center gap-1.5">
            <input type="checkbox" checked={showDiff} onChange={(e) => setShowDiff(e.target.checked)} className="accent-indigo-600" />
            Word diff <span className="text-slate-400">({Math.round(diff.similarity * 100)}% identical)</span>
          </label>
        )}
      </div>
      <div className="grid grid-cols-2 gap-3">
        {renderCard(left, {
          body: diffOn ? <DiffBody changes={diff.changes} side="left" /> : undefined,
          scrollRef: leftRef,
          onScroll: () => follow(leftRef.current, rightRef.current),
          heightClass,
        })}
        {renderCard(right, {
          body: diffOn ? <DiffBody changes={diff.changes} side="right" /> : undefined,
          scrollRef: rightRef,
          onScroll: () => follow(rightRef.current, leftRef.current),
          heightClass,
        })}
      </div>
    </div>
  );
}
