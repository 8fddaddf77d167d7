import { annotatorProcedure, createTRPCRouter } from "../api/trpc";
import { changeOwnPassword } from "./service";
import { ZChangePasswordInput } from "./user.schema";

export const meRouter = createTRPCRouter({
  get: annotatorProcedure.query(({ ctx }) => ctx.user),
  changePassword: annotatorProcedure.input(ZChangePasswordInput).mutation(({ ctx, input }) => changeOwnPassword({ db: ctx.db, auth: ctx.auth }, ctx.user.id, ctx.headers, input)),
});
