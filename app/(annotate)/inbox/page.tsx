import type { Metadata } from "next";
import { requireUser } from "../../../server/users/current-user";
import { MyQuality } from "./my-quality";
import { ReviewInbox } from "./review-inbox";

export const metadata: Metadata = { title: "Reviews of your work · RLHF Studio" };

export default async function InboxPage() {
  await requireUser("/inbox");
  return (
    <div className="space-y-6">
      <h1>Reviews of your work</h1>
      <MyQuality />
      <ReviewInbox />
    </div>
  );
}
