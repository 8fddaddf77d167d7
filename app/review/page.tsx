import type { Metadata } from "next";
import { Suspense } from "react";
import { ReviewQueue } from "./review-queue";

export const metadata: Metadata = { title: "Review queue · RLHF Studio" };

export default function ReviewPage() {
  return (
    // The queue reads its filters from the URL (useSearchParams), which needs a Suspense boundary.
    <Suspense fallback={<p className="text-sm text-slate-500">Loading the review queue…</p>}>
      <ReviewQueue />
    </Suspense>
  );
}
