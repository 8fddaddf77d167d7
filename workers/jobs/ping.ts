import os from "node:os";
import { z } from "zod";
import { defineJob } from "./job-definition";

/** A round trip through the queue and a worker, used by health checks and tests. */
export const pingJob = defineJob({
  name: "ping",
  payload: z.object({ message: z.string().max(200).default("ping") }),
  expireInSeconds: 60,
  maxAttempts: 1,
  handler: async (payload, ctx) => {
    await ctx.heartbeat({ progress: 0.5 });
    return { reply: `pong: ${payload.message}`, workerId: ctx.workerId, host: os.hostname() };
  },
});
