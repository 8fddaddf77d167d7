"use client";

import { useMemo, useSyncExternalStore } from "react";

// The queue a reviewer came from (its URL with filters, and the ids on its page), so the review
// screen can offer "back to the queue" and "next" without putting either into its own URL.
const key = "rlhf-review-queue";

type Remembered = { href: string; ids: string[] };

export function rememberQueue(queue: Remembered) {
  try {
    sessionStorage.setItem(key, JSON.stringify(queue));
  } catch {
    // Storage unavailable: the links fall back to the unfiltered queue.
  }
}

const subscribe = () => () => {};
const read = () => {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
};

export function useRememberedQueue(): Remembered {
  const raw = useSyncExternalStore(subscribe, read, () => null);
  return useMemo(() => {
    try {
      const parsed = raw ? (JSON.parse(raw) as Partial<Remembered>) : {};
      const href = typeof parsed.href === "string" && parsed.href.startsWith("/review") ? parsed.href : "/review";
      const ids = Array.isArray(parsed.ids) ? parsed.ids.filter((id): id is string => typeof id === "string") : [];
      return { href, ids };
    } catch {
      return { href: "/review", ids: [] };
    }
  }, [raw]);
}
