import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { listWorkerStatus } from "./service";

/** The same variable and default the workers' sweepers use (workers/worker.ts). */
const ZHeartbeatEnv = z.object({ JOB_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().positive().default(60) });

export const workersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listWorkerStatus(ctx.db, { timeoutSeconds: ZHeartbeatEnv.parse(process.env).JOB_HEARTBEAT_TIMEOUT_SECONDS })),
});
