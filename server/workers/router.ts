import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { ZJobHeartbeatEnv } from "../env";
import { listWorkerStatus } from "./service";

export const workersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listWorkerStatus(ctx.db, { timeoutSeconds: ZJobHeartbeatEnv.parse(process.env).JOB_HEARTBEAT_TIMEOUT_SECONDS })),
});
