import type { JobKind } from "../../server/jobs/kinds";
import { acquireHandler } from "./acquire";
import { evaluateHandler } from "./evaluate";
import { forecastHandler } from "./forecast";
import { generateHandler } from "./generate";
import type { JobHandler } from "./job-handler";
import { pingHandler } from "./ping";
import { serveHandler } from "./serve";
import { grpoHandler, ppoHandler, rlooHandler } from "./ppo";
import { dpoHandler, ktoHandler, trainRewardHandler, trainSafetyHandler, trainSftHandler } from "./train-model";

/** What the worker runs for each job kind of server/jobs/kinds.ts. */
export const jobHandlers: { [K in JobKind]: JobHandler<K> } = {
  ping: pingHandler,
  train_reward: trainRewardHandler,
  train_safety: trainSafetyHandler,
  train_sft: trainSftHandler,
  dpo: dpoHandler,
  kto: ktoHandler,
  ppo: ppoHandler,
  grpo: grpoHandler,
  rloo: rlooHandler,
  generate: generateHandler,
  evaluate: evaluateHandler,
  acquire: acquireHandler,
  forecast: forecastHandler,
  serve: serveHandler,
};
