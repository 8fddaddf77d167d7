"use client";

import { useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useRef, useState } from "react";
import type { TSubmitInput } from "../../../server/annotation/annotation.schema";
import { useTRPC } from "../../trpc/client";
import type { AssignmentView } from "./types";

export type SubmitStatus =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "retrying"; attempt: number; retryAt: number; reason: string }
  | { kind: "rejected"; message: string };

export type SubmitOutcome =
  | { kind: "accepted"; next: AssignmentView | null; pairs: number }
  | { kind: "rejected"; message: string }
  /** The lease expired or the task was already finished: the work cannot be stored any more. */
  | { kind: "gone"; message: string }
  | { kind: "cancelled" };

export type ErrorKind = "transient" | "rejected" | "gone" | "signed-out";

/** Network failures and server errors are worth retrying; a refusal with a reason is not. */
export function classifyError(err: unknown): { kind: ErrorKind; message: string } {
  if (err instanceof TRPCClientError) {
    const data = err.data as { code?: string; httpStatus?: number } | undefined;
    const code = data?.code;
    if (code === "BAD_REQUEST") return { kind: "rejected", message: err.message };
    if (code === "CONFLICT" || code === "NOT_FOUND" || code === "FORBIDDEN") return { kind: "gone", message: err.message };
    if (code === "UNAUTHORIZED") {
      return { kind: "signed-out", message: "You were signed out. Sign in again in another tab, then submit: your work is kept here." };
    }
    if (!data || (data.httpStatus ?? 500) >= 500) return { kind: "transient", message: err.message || "The server could not be reached" };
    return { kind: "rejected", message: err.message };
  }
  return { kind: "transient", message: err instanceof Error ? err.message : "The server could not be reached" };
}

const retryDelaysMs = [1000, 2000, 4000, 8000, 15_000, 30_000];

/**
 * Sends a submit and keeps resending it while the network or server is down. Each resend carries
 * the same idempotency key, so a submit that did arrive but whose answer was lost is stored once.
 */
export function useSubmission() {
  const trpc = useTRPC();
  const { mutateAsync } = useMutation(trpc.annotation.submit.mutationOptions({ retry: false }));
  const [status, setStatus] = useState<SubmitStatus>({ kind: "idle" });
  const wake = useRef<(() => void) | null>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    // Coming back online is the best moment to retry, not whenever the backoff timer ends.
    const onOnline = () => wake.current?.();
    window.addEventListener("online", onOnline);
    return () => {
      alive.current = false;
      wake.current?.();
      window.removeEventListener("online", onOnline);
    };
  }, []);

  const submit = useCallback(
    async (input: TSubmitInput): Promise<SubmitOutcome> => {
      for (let attempt = 0; ; attempt++) {
        if (attempt === 0) setStatus({ kind: "sending" });
        try {
          const res = await mutateAsync(input);
          setStatus({ kind: "idle" });
          return { kind: "accepted", next: res.next, pairs: res.result.pairs };
        } catch (err) {
          const { kind, message } = classifyError(err);
          if (kind === "rejected" || kind === "signed-out") {
            setStatus({ kind: "rejected", message });
            return { kind: "rejected", message };
          }
          if (kind === "gone") {
            setStatus({ kind: "idle" });
            return { kind: "gone", message };
          }
          if (!alive.current) return { kind: "cancelled" };
          const delay = retryDelaysMs[Math.min(attempt, retryDelaysMs.length - 1)]!;
          setStatus({ kind: "retrying", attempt: attempt + 1, retryAt: Date.now() + delay, reason: message });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            wake.current = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake.current = null;
          if (!alive.current) return { kind: "cancelled" };
        }
      }
    },
    [mutateAsync],
  );

  const retryNow = useCallback(() => wake.current?.(), []);
  const clearRejection = useCallback(() => setStatus((s) => (s.kind === "rejected" ? { kind: "idle" } : s)), []);
  return { status, submit, retryNow, clearRejection };
}
