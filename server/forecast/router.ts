import { createTRPCRouter } from "../api/trpc";
import { reviewerOnProject } from "../projects/procedures";
import { ZLatestForecastInput } from "./forecast.schema";
import { latestForecast } from "./service";

export const forecastRouter = createTRPCRouter({
  /** The project's latest succeeded label-budget forecast, or null. */
  latest: reviewerOnProject.input(ZLatestForecastInput).query(({ ctx, input }) => latestForecast(ctx.db, input)),
});
