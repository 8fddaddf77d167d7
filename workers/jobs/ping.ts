import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { JobHandler } from "./job-handler";

/** Answers after an optional wait, naming the worker and its host. */
export const pingHandler: JobHandler<"ping"> = async (payload, ctx) => {
  await ctx.heartbeat({ progress: 0.5 });
  if (payload.seconds > 0) await sleep(payload.seconds * 1000, undefined, { signal: ctx.signal });
  return { reply: `pong: ${payload.message}`, workerId: ctx.workerId, host: os.hostname() };
};
