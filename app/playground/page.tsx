import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { ZServingEnv } from "../../server/env";
import { canUsePlayground } from "../../server/serving/served-models";
import { requireUser } from "../../server/users/current-user";
import { Playground } from "./playground";

export const metadata: Metadata = { title: "Playground · RLHF Studio" };

/** `?model=` picks the first column's model and `?campaign=` the red-team campaign an attempt is saved to (a campaign's "Attack in the Playground"). */
export default async function PlaygroundPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser("/playground");
  if (!canUsePlayground(user)) forbidden();
  const { model, campaign } = await searchParams;
  return (
    <>
      <h1>Playground</h1>
      <Playground
        maxTokensLimit={ZServingEnv.parse(process.env).PLAYGROUND_MAX_TOKENS}
        initialModelId={typeof model === "string" ? model : ""}
        campaignId={typeof campaign === "string" ? campaign : undefined}
      />
    </>
  );
}
