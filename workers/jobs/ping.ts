import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { defineJob } from "./job-definition";

/** A round trip through the queue and a worker, used by health checks and tests. */
export const pingJob = defineJob({
  name: "ping",
  payload: z.object({
    message: z.string().max(200).default("ping"),
    /** Hold the worker this long before answering: a stand-in for a long job in tests of what a running job survives. */
    seconds: z.number().min(0).max(600).default(0),
  }),
  expireInSeconds: 60,
  maxAttempts: 1,
  handler: async (payload, ctx) => {
    await ctx.heartbeat({ progress: 0.5 });
    if (payload.seconds > 0) await sleep(payload.seconds * 1000, undefined, { signal: ctx.signal });
    return { reply: `pong: ${payload.message}`, workerId: ctx.workerId, host: os.hostname() };
  },
});
