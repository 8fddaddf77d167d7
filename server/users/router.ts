import { adminProcedure, createTRPCRouter, reviewerProcedure } from "../api/trpc";
import { inviteUser, listUsers, setUserActive, setUserRedTeamer, setUserRole } from "./service";
import { ZInviteUserInput, ZSetRedTeamerInput, ZSetRoleInput, ZUserIdInput } from "./user.schema";

export const usersRouter = createTRPCRouter({
  list: reviewerProcedure.query(({ ctx }) => listUsers(ctx.db)),
  invite: adminProcedure
    .input(ZInviteUserInput)
    .mutation(({ ctx, input }) => inviteUser({ db: ctx.db, auth: ctx.auth }, input, ctx.user.id)),
  setRole: adminProcedure.input(ZSetRoleInput).mutation(({ ctx, input }) => setUserRole(ctx.db, input, ctx.user.id)),
  setRedTeamer: adminProcedure.input(ZSetRedTeamerInput).mutation(({ ctx, input }) => setUserRedTeamer(ctx.db, input, ctx.user.id)),
  deactivate: adminProcedure
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => setUserActive(ctx.db, { userId: input.userId, active: false }, ctx.user.id)),
  reactivate: adminProcedure
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => setUserActive(ctx.db, { userId: input.userId, active: true }, ctx.user.id)),
});
