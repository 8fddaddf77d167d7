import { adminProcedure, createTRPCRouter } from "../api/trpc";
import { reviewerOnProject } from "../projects/procedures";
import { ZLatestAcquisitionInput, ZSetTaskOrderInput } from "./acquisition.schema";
import { latestAcquisition, setTaskOrder } from "./service";

export const acquisitionRouter = createTRPCRouter({
  /** The project's latest acquisition run and its tasks of highest disagreement. */
  latest: reviewerOnProject.input(ZLatestAcquisitionInput).query(({ ctx, input }) => latestAcquisition(ctx.db, input)),
  /** Labelling order: as imported, or by the latest acquisition's scores. */
  setTaskOrder: adminProcedure.input(ZSetTaskOrderInput).mutation(({ ctx, input }) => setTaskOrder(ctx.db, input, ctx.user.id)),
});
