// Procedures on one project that reviewers may call: the project's members and admins only. Chain
// `.input()` to add fields beside `projectId`.
import { reviewerProcedure } from "../api/trpc";
import { assertProjectAccess } from "./membership";
import { ZProjectIdInput } from "./project.schema";

export const reviewerOnProject = reviewerProcedure.input(ZProjectIdInput).use(async ({ ctx, input, next }) => {
  await assertProjectAccess(ctx.db, ctx.user, input.projectId);
  return next();
});
