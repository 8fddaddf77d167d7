"use client";

import { useEffect, useEffectEvent } from "react";

const nonTextInputs = new Set(["radio", "checkbox", "button", "submit", "reset", "range", "color", "file"]);

/** Where typed characters belong to the field, not to the shortcuts. */
export function isTextEntry(el: Element | null): boolean {
  if (!el || !(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  return el instanceof HTMLInputElement && !nonTextInputs.has(el.type);
}

/** Elements that already do something with Enter or the arrow keys. */
export function handlesKeysNatively(el: Element | null): boolean {
  return el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement || el?.tagName === "SUMMARY";
}

/** One window-level listener for the task's shortcuts; modal dialogs own the keyboard while open. */
export function useShortcuts(onKey: (e: KeyboardEvent) => void) {
  const handle = useEffectEvent((e: KeyboardEvent) => {
    if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    onKey(e);
  });
  useEffect(() => {
    window.addEventListener("keydown", handle);
    return () => window.removeEventListener("keydown", handle);
  }, []);
}
