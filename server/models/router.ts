import { z } from "zod";
import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { ModelKind } from "../generated/prisma/enums";
import { listModelVersions } from "./service";

export const modelsRouter = createTRPCRouter({
  list: adminProcedure
    .input(z.object({ kind: z.enum(ModelKind).optional(), limit: z.int().min(1).max(500).default(100) }).optional())
    .query(({ ctx, input }) => listModelVersions(ctx.db, input ?? {})),
});
