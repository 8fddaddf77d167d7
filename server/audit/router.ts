import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { listAudit, ZListAuditInput } from "./list";

export const auditRouter = createTRPCRouter({
  list: adminProcedure.input(ZListAuditInput).query(({ ctx, input }) => listAudit(ctx.db, input)),
});
