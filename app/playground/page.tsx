import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { getDb } from "../../server/db";
import { ZServingEnv } from "../../server/env";
import { canUsePlayground } from "../../server/serving/served-models";
import { requireUser } from "../../server/users/current-user";
import { Playground } from "./playground";

export const metadata: Metadata = { title: "Playground · RLHF Studio" };

export default async function PlaygroundPage() {
  const user = await requireUser("/playground");
  if (!(await canUsePlayground(getDb(), user))) forbidden();
  return (
    <>
      <h1>Playground</h1>
      <Playground maxTokensLimit={ZServingEnv.parse(process.env).PLAYGROUND_MAX_TOKENS} />
    </>
  );
}
