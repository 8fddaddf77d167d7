import type { reviewStates } from "../../server/review/review.schema";

export type ReviewState = (typeof reviewStates)[number];

export const reviewStateTone: Record<ReviewState, string> = {
  pending: "bg-slate-100 text-slate-700",
  accepted: "bg-green-100 text-green-800",
  rejected: "bg-red-100 text-red-800",
  corrected: "bg-violet-100 text-violet-800",
};

export function ReviewStateBadge({ state }: { state: ReviewState }) {
  return (
    <span data-testid="review-state" className={`inline-block rounded px-1.5 py-0.5 text-xs font-medium ${reviewStateTone[state]}`}>
      {state}
    </span>
  );
}
